import type { ConversationDetail } from "../campaigns/conversations/conversations.ts";
import { activeQuestions } from "../campaigns/surveys/survey-input.ts";
import type { ConversationView } from "./blocks/conversation.ts";
import { firstCharacter } from "./blocks/text.ts";

/** "Maria A.": the first name and the last name's initial (a whole character, even an accented one). */
function shortName(first: string | null, last: string | null): string | undefined {
  const initial = last?.trim() ? firstCharacter(last.trim()) : "";
  const name = [first?.trim(), initial ? `${initial}.` : ""].filter(Boolean).join(" ");
  return name || undefined;
}

/** The thread parent's data from a loaded conversation. */
export function conversationView(detail: ConversationDetail): ConversationView {
  const { conversation, campaign, contact } = detail;
  const city = contact.custom_fields?.city;
  return {
    conversationId: conversation.id,
    campaignTitle: campaign.title,
    contactName: [contact.first_name, contact.last_name].filter(Boolean).join(" "),
    phone: contact.phone,
    context: city ? `city: ${city}` : undefined,
    opening: detail.opening,
    cannedReplies: campaign.canned_replies ?? [],
    tags: campaign.outcome_tags ?? [],
    currentTag: conversation.current_tag,
    optedOut: detail.optedOut,
    volunteerId: conversation.volunteer_id,
    shortName: shortName(contact.first_name, contact.last_name),
    latestReply: detail.latestReply,
    survey: { campaignId: campaign.id, questions: activeQuestions(campaign.survey_questions), answers: detail.answers },
  };
}
