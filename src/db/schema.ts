import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/** Table types for Kysely; they mirror migrations/ and change only with a new migration. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string | T | undefined, string | T>;

export type CampaignState = "draft" | "active" | "paused" | "archived";
export type ContactStatus = "pool" | "held" | "sent" | "skipped" | "failed" | "opted_out";
/** Ours: pending, submitting (no sid yet); Twilio's: the rest of an outgoing text's; received: inbound. */
export type MessageStatus =
  | "pending"
  | "submitting"
  | "queued"
  | "accepted"
  | "sending"
  | "sent"
  | "delivered"
  | "undelivered"
  | "failed"
  | "received"
  | "read";
export type MessageKind = "opening" | "reply" | "canned" | "auto" | "inbound" | "followup";
export type InboundIntentKind = "opt_out" | "opt_in" | "help" | "message";

export interface CannedReply {
  title: string;
  text: string;
  /** Survey answers recorded when this reply is sent (`[Question=Answer]` in the script, 0012). */
  answers?: { question: string; answer: string }[];
}
export interface CustomFieldColumn {
  key: string;
  header: string;
}

export interface OrganizersTable {
  user_id: string;
  added_by: string;
  added_at: Timestamp;
}

export interface CampaignsTable {
  id: Generated<number>;
  slug: string;
  title: string;
  state: ColumnType<CampaignState, CampaignState | undefined, CampaignState>;
  opening_message: string | null;
  canned_replies: Json<CannedReply[]>;
  outcome_tags: Json<string[]>;
  /** The HELP reply as the organizer wrote it (merge fields allowed, up to 320); null: the default (0017). */
  help_text: string | null;
  /** The opt-out reply as the organizer wrote it (merge fields allowed, up to 320); null: the default (0017). */
  opt_out_reply: string | null;
  hours_start: Generated<number>;
  hours_end: Generated<number>;
  custom_fields: Json<CustomFieldColumn[]>;
  stale_reply_minutes: Generated<number>;
  auto_release_stale: Generated<boolean>;
  /** Where escalations go (a channel the app is in); null: the organizers' DMs (0019). */
  escalation_channel: ColumnType<string | null, string | null | undefined, string | null>;
  /** Active questions in order, then removed ones (kept to label their answers), 0012. */
  survey_questions: Json<SurveyQuestion[]>;
  /** Where the organizer's setup checklist was posted (their DM with the app), 0021. */
  checklist_channel: ColumnType<string | null, string | null | undefined, string | null>;
  checklist_ts: ColumnType<string | null, string | null | undefined, string | null>;
  /** A fingerprint of what the checklist shows now, and how many versions it has had (0021). */
  checklist_state: ColumnType<string | null, string | null | undefined, string | null>;
  checklist_rev: Generated<number>;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ImportsTable {
  id: Generated<number>;
  campaign_id: number;
  state: ColumnType<"running" | "done" | "failed", "running" | undefined, "running" | "done" | "failed">;
  file_name: string | null;
  started_by: string;
  rows_read: Generated<number>;
  imported: Generated<number>;
  duplicates: Generated<number>;
  invalid: Generated<number>;
  opted_out: Generated<number>;
  summary: Json<unknown> | null;
  error: string | null;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
}

export interface ContactsTable {
  id: Generated<number>;
  campaign_id: number;
  phone: string;
  first_name: string | null;
  last_name: string | null;
  zip: string | null;
  timezone: string | null;
  tz_zones: ColumnType<string[], string[] | undefined, string[]>;
  tz_source: Generated<string>;
  external_id: string | null;
  custom_fields: Json<Record<string, string>>;
  import_id: number | null;
  row_number: number | null;
  status: ColumnType<ContactStatus, ContactStatus | undefined, ContactStatus>;
  held_by: string | null;
  held_at: NullableTimestamp;
  skip_count: Generated<number>;
  last_skipped_by: string | null;
  created_at: Timestamp;
}

/** An upload's valid rows on the embedded database, until the whole file has been read (0010). */
export interface ImportStagingTable {
  import_id: number;
  row_number: number;
  phone: string;
  first_name: string | null;
  last_name: string | null;
  zip: string | null;
  timezone: string | null;
  tz_zones: string[];
  tz_source: string;
  external_id: string | null;
  custom_fields: Json<Record<string, string>>;
}

export interface VolunteersTable {
  campaign_id: number;
  user_id: string;
  dm_channel: string | null;
  on_shift: Generated<boolean>;
  display_name: string | null;
  joined_at: Timestamp;
  last_active_at: Timestamp;
}

export interface ConversationsTable {
  id: Generated<number>;
  campaign_id: number;
  contact_id: number;
  volunteer_id: string | null;
  slack_channel: string | null;
  slack_thread_ts: string | null;
  current_tag: string | null;
  tagged_by: string | null;
  tagged_at: NullableTimestamp;
  waiting_since: NullableTimestamp;
  last_inbound_at: NullableTimestamp;
  /** The first inbound text that was neither an opt-out nor an opt-in: the reply rate counts these (0023). */
  replied_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  last_outbound_at: NullableTimestamp;
  created_at: Timestamp;
  /** Escalated by a volunteer (or organizer) for an organizer to step in; the review filter reads it (0019). */
  escalated_at: NullableTimestamp;
  escalated_by: ColumnType<string | null, string | null | undefined, string | null>;
  escalation_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** The organizer who pressed Take it first (one conditional UPDATE decides), 0019. */
  taken_by: ColumnType<string | null, string | null | undefined, string | null>;
  taken_at: NullableTimestamp;
}

/** An extra thread of a conversation, in an organizer's DM: opened, or taken from an escalation (0019). */
export interface ConversationWatchersTable {
  id: Generated<number>;
  conversation_id: number;
  user_id: string;
  reason: "open" | "take";
  /** Where its parent was posted (set once posted). */
  channel: string | null;
  thread_ts: string | null;
  created_at: Timestamp;
}

export interface MessagesTable {
  id: Generated<number>;
  campaign_id: number | null;
  contact_id: number | null;
  conversation_id: number | null;
  direction: "out" | "in";
  kind: MessageKind;
  body: string;
  media_urls: Json<string[]>;
  from_phone: string;
  to_phone: string;
  twilio_sid: string | null;
  status: MessageStatus;
  error_code: number | null;
  sent_by: string | null;
  idempotency_key: string | null;
  attempts: Generated<number>;
  processed_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** While a send attempt may be in flight: the retry sweep leaves the text alone until then. */
  lease_until: NullableTimestamp;
  /** Inbound: failed processing attempts; set aside (no more tries, organizers told) after a few. */
  process_failures: Generated<number>;
  set_aside_at: NullableTimestamp;
  /** A follow-up's round (kind 'followup' only; one per contact and round, 0016). */
  round_id: ColumnType<number | null, number | null | undefined, number | null>;
  /** Inbound: what processing made of it; replies leave out opt-outs and opt-ins (0023). */
  intent: ColumnType<InboundIntentKind | null, InboundIntentKind | null | undefined, InboundIntentKind | null>;
  /** The Slack message (a thread reply) this text came from, for its receipt reactions (0022). */
  slack_reply_channel: ColumnType<string | null, string | null | undefined, string | null>;
  slack_reply_ts: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A conversation's thread that a reassign or handoff replaced: replies there are answered (0022). */
export interface FormerThreadsTable {
  channel: string;
  thread_ts: string;
  conversation_id: number;
  moved_at: Timestamp;
}

export interface OptOutsTable {
  phone: string;
  source: string;
  keyword: string | null;
  campaign_id: number | null;
  /** The inbound text that created it, when it came by text. */
  message_id: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Timestamp;
  /** Who put the number on the list in Slack (an organizer, a volunteer's button); NULL for texts, carriers (0014). */
  actor: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface EarlyStatusesTable {
  sid: string;
  status: string;
  error_code: number | null;
  received_at: Timestamp;
}

/** One HELP answer per number and UTC day: the key is the rule (0017). */
export interface HelpRepliesTable {
  phone: string;
  day: ColumnType<Date | string, Date | string, Date | string>;
  /** The inbound HELP text that was answered. */
  message_id: number | null;
  created_at: Timestamp;
}

export interface OptOutEventsTable {
  id: Generated<number>;
  phone: string;
  action: "out" | "in";
  source: string;
  created_at: Timestamp;
  /** The Slack user who made this change, when a person in Slack did (0014). */
  actor: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface OutcomeEventsTable {
  id: Generated<number>;
  conversation_id: number;
  tag: string;
  user_id: string;
  created_at: Timestamp;
}

export interface SlackEventsTable {
  event_id: string;
  received_at: Timestamp;
}

export interface SlackOutboxTable {
  id: Generated<number>;
  dedupe_key: string;
  channel: string;
  method: Generated<string>;
  payload: Json<Record<string, unknown>>;
  state: ColumnType<"pending" | "posted" | "failed", "pending" | undefined, "pending" | "posted" | "failed">;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  locked_until: NullableTimestamp;
  last_error: string | null;
  posted_ts: string | null;
  created_at: Timestamp;
}

export interface ShiftsTable {
  id: Generated<number>;
  campaign_id: number;
  starts_at: Timestamp;
  ends_at: Timestamp;
  channel_id: string;
  created_by: string;
  kickoff_ts: string | null;
  kickoff_posted_at: NullableTimestamp;
  recap_posted_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface JobRunsTable {
  job: string;
  run_key: string;
  instance: string;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
}

export interface DB {
  organizers: OrganizersTable;
  campaigns: CampaignsTable;
  imports: ImportsTable;
  contacts: ContactsTable;
  import_staging: ImportStagingTable;
  volunteers: VolunteersTable;
  conversations: ConversationsTable;
  conversation_watchers: ConversationWatchersTable;
  former_threads: FormerThreadsTable;
  review_jobs: ReviewJobsTable;
  review_job_moves: ReviewJobMovesTable;
  messages: MessagesTable;
  opt_outs: OptOutsTable;
  early_statuses: EarlyStatusesTable;
  opt_out_events: OptOutEventsTable;
  help_replies: HelpRepliesTable;
  outcome_events: OutcomeEventsTable;
  slack_events: SlackEventsTable;
  slack_outbox: SlackOutboxTable;
  shifts: ShiftsTable;
  job_runs: JobRunsTable;
  survey_answers: SurveyAnswersTable;
  conversation_notes: ConversationNotesTable;
  followup_rounds: FollowupRoundsTable;
  followups: FollowupsTable;
  campaign_counts: CampaignCountsTable;
}

export type Campaign = Selectable<CampaignsTable>;
export type NewCampaign = Insertable<CampaignsTable>;
export type CampaignUpdate = Updateable<CampaignsTable>;
export type Contact = Selectable<ContactsTable>;
export type NewContact = Insertable<ContactsTable>;
export type Message = Selectable<MessagesTable>;
export type Conversation = Selectable<ConversationsTable>;

/** A survey question; `id` never changes once given, and is never reused within the campaign (0012). */
export interface SurveyQuestion {
  id: number;
  label: string;
  answers: string[];
  /** Removed from the survey: no longer shown, but its recorded answers keep their label. */
  removed?: boolean;
}

/** Every answer ever chosen; the current one per conversation and question has no replaced_at (0012). */
export interface SurveyAnswersTable {
  id: Generated<number>;
  campaign_id: number;
  conversation_id: number;
  question_id: number;
  answer: string;
  user_id: string;
  source: "button" | "canned";
  created_at: Timestamp;
  replaced_at: NullableTimestamp;
}

export interface ConversationNotesTable {
  id: Generated<number>;
  conversation_id: number;
  user_id: string;
  body: string;
  created_at: Timestamp;
}

/** A follow-up round: numbered per campaign, its message template and who it covers (0016). */
export interface FollowupRoundsTable {
  id: Generated<number>;
  campaign_id: number;
  round: number;
  /** As typed: `no-reply`, `tag:<tag>` or `answer:<question>=<answer>`. */
  audience: string;
  message: string;
  covered: number;
  created_by: string;
  created_at: Timestamp;
}

export type FollowupStatus = "pool" | "held" | "sent" | "opted_out";

/** One contact of a round, handed out and held like an opening contact (0016). */
export interface FollowupsTable {
  id: Generated<number>;
  round_id: number;
  campaign_id: number;
  contact_id: number;
  conversation_id: number;
  status: ColumnType<FollowupStatus, FollowupStatus | undefined, FollowupStatus>;
  held_by: string | null;
  held_at: NullableTimestamp;
  last_skipped_by: string | null;
}

/**
 * Summary counters, insert-only: a figure is the sum of its rows' n; triggers add deltas in the
 * transaction of each change, compaction folds them into one `compacted` row per key (0018).
 */
export interface CampaignCountsTable {
  campaign_id: number;
  name: string;
  key: ColumnType<string, string | undefined, string>;
  n: ColumnType<string, number | string | bigint, number | string | bigint>;
  compacted: ColumnType<boolean, boolean | undefined, boolean>;
}

export type FollowupRound = Selectable<FollowupRoundsTable>;
export type Followup = Selectable<FollowupsTable>;

/** "Reassign all matching" from /campaign review: the filter, the target and the progress (0020). */
export interface ReviewJobsTable {
  id: Generated<number>;
  campaign_id: number;
  requested_by: string;
  target: string;
  /** The review filter as the modal carried it (parsed again at each run). */
  filter: string;
  state: ColumnType<"running" | "done" | "failed", "running" | undefined, "running" | "done" | "failed">;
  /** Conversations are taken in id order; every one up to this id has been dealt with. */
  last_conversation_id: ColumnType<number, number | undefined, number>;
  moved: Generated<number>;
  /** Matching conversations the target already had. */
  already: Generated<number>;
  /** Matching conversations left where they were because the number opted out. */
  opted_out: Generated<number>;
  lease_token: string | null;
  locked_until: NullableTimestamp;
  error: string | null;
  created_at: Timestamp;
  finished_at: NullableTimestamp;
}

/** One conversation a review job moved, and from whom: at most once per job (0020). */
export interface ReviewJobMovesTable {
  job_id: number;
  conversation_id: number;
  from_volunteer: string | null;
}
