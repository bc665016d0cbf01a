import { describe, expect, it } from "vitest";
import { classifyInbound } from "../../src/campaigns/opt-outs/keywords.ts";

describe("classifyInbound", () => {
  it.each([
    ["STOP", "STOP", true], ["stop", "STOP", true], [" Stop. ", "STOP", true], ["STOP!!", "STOP", true], ["stop 🛑", "STOP", true],
    ["StopAll", "STOPALL", true], ["unsubscribe", "UNSUBSCRIBE", true], ["Cancel", "CANCEL", true], ["end.", "END", true],
    ["QUIT", "QUIT", true], ["revoke", "REVOKE", false], ["OPTOUT", "OPTOUT", false], ["opt out", "OPTOUT", false],
    ["Opt-Out", "OPTOUT", false], ["stop2quit", "STOP2QUIT", false], ["STOP 2 END", "STOP2END", false],
  ])("%j is the opt-out keyword %s", (body, keyword, twilioConfirms) => {
    expect(classifyInbound(body)).toEqual({ kind: "opt_out", keyword, twilioConfirms });
  });

  it.each([
    "remove me", "Remove me from your list", "please take me off this list", "take me off your list please",
    "don't contact me", "Do not text me again", "please don't text me", "lose my number", "I opt out",
    "I want to opt out", "opt me out", "stop texting me", "Please stop messaging me", "unsubscribe me",
    "Who is this? Remove me", "I already voted. Stop texting me", "Wrong number, stop",
  ])("%j asks to opt out in words", (body) => {
    expect(classifyInbound(body)).toMatchObject({ kind: "opt_out", twilioConfirms: false });
  });

  it.each([
    "stopping by later", "we have to stop this bill", "don't stop now", "Can you remove the yard sign?",
    "END of the day works", "quit my job lol", "cancel culture is real", "yes I'll vote", "I will stop by the office",
    "Where do I stop to vote?", "Sure, what do you need?", "Stop the steal", "please stop the bill", "the end",
    "remove the sign from my lawn please", "I can't take it anymore", "",
  ])("%j is an ordinary message", (body) => {
    expect(classifyInbound(body)).toEqual({ kind: "message" });
  });

  it("recognises opt-in and help", () => {
    expect(classifyInbound("START")).toEqual({ kind: "opt_in", keyword: "START" });
    expect(classifyInbound("unstop")).toEqual({ kind: "opt_in", keyword: "UNSTOP" });
    expect(classifyInbound("Yes")).toEqual({ kind: "opt_in", keyword: "YES" });
    expect(classifyInbound("HELP")).toEqual({ kind: "help" });
    expect(classifyInbound("help?")).toEqual({ kind: "help" });
    expect(classifyInbound("info")).toEqual({ kind: "help" });
  });
});
