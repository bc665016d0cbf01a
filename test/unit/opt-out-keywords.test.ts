import { describe, expect, it } from "vitest";
import { classifyInbound, OPT_IN_CONFIRMATION, OPT_OUT_CONFIRMATION } from "../../src/campaigns/opt-outs/keywords.ts";

describe("classifyInbound: opt-out keywords as the whole message", () => {
  // [body, keyword, Twilio answers it itself]
  it.each<[string, string, boolean]>([
    ["STOP", "STOP", true],
    ["stop", "STOP", true],
    ["Stop", "STOP", true],
    [" Stop. ", "STOP", true],
    ["STOP!!", "STOP", true],
    ["\nstop\n", "STOP", true],
    ["stop 🛑", "STOP", false],
    ["🛑 STOP 🛑", "STOP", false],
    ["S.T.O.P", "STOP", false],
    ["STOPALL", "STOPALL", true],
    ["StopAll", "STOPALL", true],
    ["stop all", "STOPALL", false],
    ["UNSUBSCRIBE", "UNSUBSCRIBE", true],
    ["unsubscribe", "UNSUBSCRIBE", true],
    ["Unsubscribe.", "UNSUBSCRIBE", true],
    ["CANCEL", "CANCEL", true],
    ["Cancel", "CANCEL", true],
    ["cancel!", "CANCEL", true],
    ["END", "END", true],
    ["end.", "END", true],
    ["End", "END", true],
    ["QUIT", "QUIT", true],
    ["quit", "QUIT", true],
    ["Quit!!!", "QUIT", true],
    // Twilio added REVOKE and OPTOUT to its default STOP filtering on 14 May 2025.
    ["REVOKE", "REVOKE", true],
    ["revoke", "REVOKE", true],
    ["Revoke.", "REVOKE", true],
    ["OPTOUT", "OPTOUT", true],
    ["optout", "OPTOUT", true],
    ["OPT OUT", "OPTOUT", false],
    ["opt out", "OPTOUT", false],
    ["Opt-Out", "OPTOUT", false],
    ["stop2quit", "STOP2QUIT", false],
    ["STOP 2 END", "STOP2END", false],
    ["Remove", "REMOVE", false],
    ["unsub", "UNSUB", false],
    ["Unsubscribe me", "UNSUBSCRIBEME", false],
    ["REMOVE ME", "REMOVEME", false],
    ["STOP please", "STOP", false],
    ["Please stop", "STOP", false],
    ["stop stop stop", "STOP", false],
    ["Stop now!", "STOP", false],
    ["STOP. Thank you", "STOP", false],
    ["end please", "END", false],
    ["Just quit", "QUIT", false],
    // French, as Canadian carriers and other providers take it (Twilio's default list does not).
    ["ARRET", "ARRET", false],
    ["Arrêt", "ARRET", false],
    ["ARRÊT!", "ARRET", false],
    // People echo the footer back.
    ["stop=quit", "STOP2QUIT", false],
    ["STOP = QUIT", "STOP2QUIT", false],
    ["Stop to quit", "STOP2QUIT", false],
    ["stop to end", "STOP2END", false],
    ["Reply STOP to quit", "STOP2QUIT", false],
    ["reply stop to opt out", "STOP", false],
  ])("%j opts out with keyword %s (Twilio confirms: %s)", (body, keyword, twilioConfirms) => {
    expect(classifyInbound(body)).toEqual({ kind: "opt_out", keyword, twilioConfirms });
  });
});

describe("classifyInbound: asking to opt out in words, at the start or end", () => {
  it.each([
    "remove me",
    "Remove me from your list",
    "remove me from your texting list please",
    "please take me off this list",
    "take me off your list please",
    "Take me off!",
    "Please remove my number",
    "remove my name",
    "Please remove my name from your list",
    "delete me",
    "don't contact me",
    "Do not text me again",
    "please don't text me",
    "Dont text me anymore",
    "Never text me again!",
    "lose my number",
    "Lose my number.",
    "Please lose my number",
    "I opt out",
    "I want to opt out",
    "I'd like to unsubscribe",
    "opt me out",
    "stop texting me",
    "Please stop messaging me",
    "STOP TEXTING ME!!!",
    "Quit contacting me",
    "stop sending me texts",
    "unsubscribe me please",
    "No more texts please",
    "leave me alone",
    "Who is this? Remove me",
    "I already voted. Stop texting me",
    "Wrong number, stop",
    "Wrong number. STOP",
    "Stop, I already voted for her",
    "Hey, stop",
    "OPT OUT. I don't live there anymore",
    "stop texting me I already voted",
    "I moved away please take me off your list",
    "why do you have my number lose my number",
    "I don't want these anymore. I want to opt out of this list",
  ])("%j asks to opt out in words", (body) => {
    expect(classifyInbound(body)).toMatchObject({ kind: "opt_out", twilioConfirms: false });
  });

  it("reports the words that asked", () => {
    expect(classifyInbound("Who is this? Remove me")).toEqual({
      kind: "opt_out",
      keyword: "remove me",
      twilioConfirms: false,
    });
    expect(classifyInbound("I already voted. Stop texting me please")).toEqual({
      kind: "opt_out",
      keyword: "stop texting me",
      twilioConfirms: false,
    });
  });
});

describe("classifyInbound: ordinary messages stay messages", () => {
  it.each([
    "stopping by later",
    "I'll stop by the office tomorrow",
    "we have to stop this bill",
    "don't stop now",
    "Don't stop texting me!",
    "Can you remove the yard sign?",
    "remove the sign from my lawn please",
    "END of the day works",
    "the end",
    "Till the end!",
    "quit my job lol",
    "I quit smoking",
    "cancel culture is real",
    "Can I cancel my RSVP?",
    "yes I'll vote",
    "Yes please",
    "yes yes",
    "Where do I stop to vote?",
    "Stop the steal",
    "We've got to STOP this terrible bill before Friday",
    "Arrêtez de parler, on vote demain",
    "please stop the bill",
    "I can't take it anymore",
    "Can you take me off the hook for Saturday?",
    "please don't take me off your list",
    "How do I opt out of the carpool?",
    "Don't text me after 9pm, I'm at work",
    "help me find my polling place",
    "Sure, what do you need?",
    "No",
    "Count me out for Saturday",
    "Stopped by yesterday",
    "Unstoppable!",
    "",
    "   ",
    "🛑",
  ])("%j is an ordinary message", (body) => {
    expect(classifyInbound(body)).toEqual({ kind: "message" });
  });
});

describe("classifyInbound: opt-in and help", () => {
  it.each([
    ["START", "START"],
    ["start", "START"],
    ["Start.", "START"],
    ["UNSTOP", "UNSTOP"],
    ["unstop!", "UNSTOP"],
    // A whole-body YES opts back in; for a number that never opted out the caller treats it as a reply.
    ["YES", "YES"],
    ["Yes", "YES"],
    ["yes!", "YES"],
    [" Yes. ", "YES"],
  ])("%j opts back in with %s", (body, keyword) => {
    expect(classifyInbound(body)).toEqual({ kind: "opt_in", keyword });
  });

  it.each(["HELP", "help", "help?", "Help!", " INFO ", "info", "Info."])("%j asks for help", (body) => {
    expect(classifyInbound(body)).toEqual({ kind: "help" });
  });

  it("keeps the confirmations short and free of any brand", () => {
    expect(OPT_OUT_CONFIRMATION.length).toBeLessThanOrEqual(160);
    expect(OPT_IN_CONFIRMATION.length).toBeLessThanOrEqual(160);
    expect(OPT_OUT_CONFIRMATION).toContain("START");
    expect(OPT_IN_CONFIRMATION).toContain("STOP");
    expect(classifyInbound(OPT_OUT_CONFIRMATION).kind).toBe("message");
  });
});
