import type { Migration } from "kysely";
import * as m0001 from "./0001_initial.ts";
import * as m0002 from "./0002_sending.ts";
import * as m0003 from "./0003_outbox_order.ts";
import * as m0004 from "./0004_inbound_processing.ts";
import * as m0005 from "./0005_outbox_pending.ts";
import * as m0006 from "./0006_message_states.ts";
import * as m0007 from "./0007_opt_out_message.ts";
import * as m0008 from "./0008_send_leases.ts";
import * as m0009 from "./0009_early_statuses.ts";
import * as m0010 from "./0010_import_staging.ts";
import * as m0011 from "./0011_inbound_set_aside.ts";
import * as m0012 from "./0012_surveys.ts";
import * as m0013 from "./0013_in_flight_index.ts";
import * as m0014 from "./0014_opt_out_audit.ts";
import * as m0016 from "./0016_followups.ts";
import * as m0017 from "./0017_campaign_replies.ts";
import * as m0018 from "./0018_campaign_counters.ts";
import * as m0019 from "./0019_supervision.ts";
import * as m0020 from "./0020_review.ts";
import * as m0021 from "./0021_setup_checklist.ts";
import * as m0022 from "./0022_reply_receipts.ts";
import * as m0023 from "./0023_honest_replies.ts";

/** Every migration, in order. A landed migration is never edited: add a new one. */
export const migrations: Record<string, Migration> = {
  "0001_initial": m0001,
  "0002_sending": m0002,
  "0003_outbox_order": m0003,
  "0004_inbound_processing": m0004,
  "0005_outbox_pending": m0005,
  "0006_message_states": m0006,
  "0007_opt_out_message": m0007,
  "0008_send_leases": m0008,
  "0009_early_statuses": m0009,
  "0010_import_staging": m0010,
  "0011_inbound_set_aside": m0011,
  "0012_surveys": m0012,
  "0013_in_flight_index": m0013,
  "0014_opt_out_audit": m0014,
  "0016_followups": m0016,
  "0017_campaign_replies": m0017,
  "0018_campaign_counters": m0018,
  "0019_supervision": m0019,
  "0020_review": m0020,
  "0021_setup_checklist": m0021,
  "0022_reply_receipts": m0022,
  "0023_honest_replies": m0023,
};
