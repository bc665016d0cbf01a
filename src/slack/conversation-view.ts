import type { ConversationDetail } from "../campaigns/conversations/conversations.ts";
import { activeQuestions } from "../campaigns/surveys/survey-input.ts";
import type { ConversationView } from "./blocks/conversation.ts";

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
    survey: { campaignId: campaign.id, questions: activeQuestions(campaign.survey_questions), answers: detail.answers },
  };
}
