import type { Database } from "../db/database.ts";

/** Organizers are the ORGANIZER_IDS plus whoever an organizer added. */
export async function isOrganizer(db: Database, configuredIds: readonly string[], userId: string): Promise<boolean> {
  if (configuredIds.includes(userId)) return true;
  const row = await db.selectFrom("organizers").select("user_id").where("user_id", "=", userId).executeTakeFirst();
  return row !== undefined;
}

export async function addOrganizer(
  db: Database,
  configuredIds: readonly string[],
  userId: string,
  addedBy: string,
): Promise<"added" | "already"> {
  if (configuredIds.includes(userId)) return "already";
  const inserted = await db
    .insertInto("organizers")
    .values({ user_id: userId, added_by: addedBy })
    .onConflict((oc) => oc.column("user_id").doNothing())
    .returning("user_id")
    .executeTakeFirst();
  return inserted ? "added" : "already";
}

export async function removeOrganizer(
  db: Database,
  configuredIds: readonly string[],
  userId: string,
): Promise<"removed" | "configured" | "not_organizer"> {
  if (configuredIds.includes(userId)) return "configured";
  const deleted = await db.deleteFrom("organizers").where("user_id", "=", userId).executeTakeFirst();
  return deleted.numDeletedRows > 0n ? "removed" : "not_organizer";
}

export async function listOrganizers(db: Database, configuredIds: readonly string[]): Promise<string[]> {
  const rows = await db.selectFrom("organizers").select("user_id").orderBy("added_at").execute();
  return [...new Set([...configuredIds, ...rows.map((row) => row.user_id)])];
}
