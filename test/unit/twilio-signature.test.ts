import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { twilioSignature } from "../support/signing.ts";

// The known vector from Twilio's security documentation: both our test signer and the
// official validator the app uses must agree with it.
const token = "12345";
const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
const params = {
  CallSid: "CA1234567890ABCDE",
  Caller: "+14158675309",
  Digits: "1234",
  From: "+14158675309",
  To: "+18005551212",
};

describe("Twilio request signature", () => {
  it("matches Twilio's documented vector", () => {
    expect(twilioSignature(token, url, params)).toBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    expect(twilio.validateRequest(token, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", url, params)).toBe(true);
  });

  it("fails when any parameter, the URL or the token differs", () => {
    const good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    expect(twilio.validateRequest(token, good, url, { ...params, Digits: "1235" })).toBe(false);
    expect(twilio.validateRequest(token, good, url.replace("https", "http"), params)).toBe(false);
    expect(twilio.validateRequest("54321", good, url, params)).toBe(false);
  });
});
