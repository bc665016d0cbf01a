import { sql, type Kysely } from "kysely";

/**
 * The setup checklist: after `/campaign create` (or `copy`) the organizer's DM gets one message
 * listing what is done (contacts, script, texting hours) with a Launch button. `checklist_channel`
 * and `checklist_ts` say where it is, so later changes update it in place. `checklist_state` is a
 * fingerprint of what the message shows now and `checklist_rev` counts its versions: an update is
 * enqueued only when the fingerprint changes, under a dedupe key carrying the new revision, so a
 * state seen before (A → B → A) is still shown again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE campaigns
    ADD COLUMN checklist_channel text,
    ADD COLUMN checklist_ts text,
    ADD COLUMN checklist_state text,
    ADD COLUMN checklist_rev integer NOT NULL DEFAULT 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE campaigns
    DROP COLUMN checklist_channel, DROP COLUMN checklist_ts, DROP COLUMN checklist_state, DROP COLUMN checklist_rev`.execute(
    db,
  );
}
