import { addOrganizer, listOrganizers, removeOrganizer } from "../../campaigns/organizers.ts";
import { parseUserMention, reply, usageReply, type CommandSpec } from "./types.ts";

export const organizers: CommandSpec = {
  name: "organizers",
  usage: "organizers add|remove @user",
  summary: "manage organizers",
  audience: "organizer",
  async run({ services, args, userId }) {
    const [action, who] = args;
    const configured = services.settings.ORGANIZER_IDS;
    if (action === undefined || action === "list") {
      const ids = await listOrganizers(services.db, configured);
      return reply(`Organizers: ${ids.map((id) => `<@${id}>`).join(", ") || "none"}`);
    }
    if (action !== "add" && action !== "remove")
      return usageReply(organizers, `\`${action}\` is not \`add\` or \`remove\`.`);
    const target = parseUserMention(who);
    if (!target) {
      return usageReply(
        organizers,
        who ? `\`${who}\` is not a person: pick them from the @-mention list.` : "Name the person with an @-mention.",
      );
    }
    if (action === "add") {
      const result = await addOrganizer(services.db, configured, target, userId);
      return reply(result === "added" ? `<@${target}> is now an organizer.` : `<@${target}> is already an organizer.`);
    }
    if (target === userId) return reply("You cannot remove yourself; ask another organizer.");
    const result = await removeOrganizer(services.db, configured, target);
    if (result === "configured") {
      return reply(`<@${target}> is an organizer through the ORGANIZER_IDS setting; remove them there and restart.`);
    }
    return reply(
      result === "removed" ? `<@${target}> is no longer an organizer.` : `<@${target}> is not an organizer.`,
    );
  },
};
