import { sql, type Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";

type Db = Kysely<DB>;

/**
 * An opt-out covers the number in every campaign of the workspace: one row per phone
 * (the key), an event for the history, and every contact with that number still waiting in a
 * pool or held on a card leaves it at once.
 */
export async function recordOptOut(
  db: Db,
  input: {
    phone: string;
    source: string;
    keyword?: string | null;
    campaignId?: number | null;
    messageId?: number;
    /** The Slack user who did it (an organizer, a volunteer); none for a text or the carrier. */
    actor?: string | null;
  },
): Promise<{ created: boolean }> {
  const inserted = await db
    .insertInto("opt_outs")
    .values({
      phone: input.phone,
      source: input.source,
      keyword: input.keyword ?? null,
      campaign_id: input.campaignId ?? null,
      message_id: input.messageId ?? null,
      actor: input.actor ?? null,
    })
    .onConflict((oc) => oc.column("phone").doNothing())
    .returning("phone")
    .executeTakeFirst();
  if (!inserted) return { created: false };
  await db
    .insertInto("opt_out_events")
    .values({ phone: input.phone, action: "out", source: input.source, actor: input.actor ?? null })
    .execute();
  await db
    .updateTable("contacts")
    .set({ status: "opted_out", held_by: null, held_at: null })
    .where("phone", "=", input.phone)
    .where("status", "in", ["pool", "held"])
    .execute();
  return { created: true };
}

/**
 * recordOptOut for many numbers at once (an opt-out list an organizer imports): the same three
 * steps, one statement each for the whole batch. Numbers already on the list are left as they
 * were. Returns the numbers it added. Run it in a transaction.
 */
export async function recordOptOuts(
  db: Db,
  phones: readonly string[],
  input: { source: string; actor?: string | null },
): Promise<{ added: string[] }> {
  if (phones.length === 0) return { added: [] };
  // In key order, so two imports of overlapping lists lock the same rows in the same order.
  const sorted = [...new Set(phones)].sort();
  const actor = input.actor ?? null;
  const inserted = await db
    .insertInto("opt_outs")
    .values(sorted.map((phone) => ({ phone, source: input.source, keyword: null, campaign_id: null, actor })))
    .onConflict((oc) => oc.column("phone").doNothing())
    .returning("phone")
    .execute();
  const added = inserted.map((row) => row.phone);
  if (added.length === 0) return { added };
  await db
    .insertInto("opt_out_events")
    .values(added.map((phone) => ({ phone, action: "out" as const, source: input.source, actor })))
    .execute();
  await db
    .updateTable("contacts")
    .set({ status: "opted_out", held_by: null, held_at: null })
    .where("phone", "in", added)
    .where("status", "in", ["pool", "held"])
    .execute();
  return { added };
}

/** START/UNSTOP/YES: the number may be texted again; contacts never texted return to their pools. */
export async function recordOptIn(
  db: Db,
  input: { phone: string; source: string; actor?: string | null },
): Promise<{ removed: boolean }> {
  const deleted = await db.deleteFrom("opt_outs").where("phone", "=", input.phone).executeTakeFirst();
  if (deleted.numDeletedRows === 0n) return { removed: false };
  await db
    .insertInto("opt_out_events")
    .values({ phone: input.phone, action: "in", source: input.source, actor: input.actor ?? null })
    .execute();
  await sql`
    UPDATE contacts c SET status = 'pool'
    WHERE c.phone = ${input.phone} AND c.status = 'opted_out'
      AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id AND m.kind = 'opening')`.execute(db);
  return { removed: true };
}

/**
 * The opt-out lookup every code path uses before it texts (one primary-key probe). The Send and
 * claim statements check the same table inside their own SQL.
 */
export async function isOptedOut(db: Db, phone: string): Promise<boolean> {
  return (await db.selectFrom("opt_outs").select("phone").where("phone", "=", phone).executeTakeFirst()) !== undefined;
}

/** Whether this inbound text is the one that opted the number out (its confirmation is owed). */
export async function optOutCreatedBy(db: Db, phone: string, messageId: number): Promise<boolean> {
  const row = await db.selectFrom("opt_outs").select("message_id").where("phone", "=", phone).executeTakeFirst();
  return row?.message_id === messageId;
}
