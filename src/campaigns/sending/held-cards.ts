import type { Campaign, Contact } from "../../db/schema.ts";
import { isHeldBy } from "./send-refusal.ts";

/** A card this instance handed out: the contact as claimed, and the campaign it was rendered for. */
export interface HeldCard {
  contact: Contact;
  campaign: Campaign;
}

const MAX_CARDS = 20_000;
const MAX_AGE_MS = 30 * 60 * 1000;

/**
 * What this instance remembers of the cards it handed out, so that pressing Send needs no read
 * before its one guarded statement. Only a hint: the statement (send-opening.ts) checks that the
 * contact is still held by this volunteer under this hold (held_at) and that the campaign is
 * still active with the title, opening message and hours the card was rendered from; when it
 * matches nothing, press-send.ts reads the rows and decides. A press that reaches
 * another instance simply finds nothing here. Bounded: a volunteer holds one contact, so the
 * map holds about one card per volunteer on shift; the oldest go first past MAX_CARDS.
 */
export class HeldCards {
  private readonly cards = new Map<number, { card: HeldCard; at: number }>();

  remember(card: HeldCard): void {
    this.cards.delete(card.contact.id);
    this.cards.set(card.contact.id, { card, at: Date.now() });
    if (this.cards.size > MAX_CARDS) this.cards.delete(this.cards.keys().next().value!);
  }

  /** The card for this press, once; undefined when it is not this instance's or not this hold's. */
  take(contactId: number, userId: string, heldAtMs: number): HeldCard | undefined {
    const entry = this.cards.get(contactId);
    if (!entry) return undefined;
    this.cards.delete(contactId);
    if (Date.now() - entry.at > MAX_AGE_MS || !isHeldBy(entry.card.contact, { contactId, userId, heldAtMs }))
      return undefined;
    return entry.card;
  }
}
