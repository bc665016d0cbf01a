import { describe, it, expect } from "vitest";
import {
  fieldsWithoutFallback,
  parseTemplate,
  renderTemplate,
  unknownFields,
  type ParsedTemplate,
} from "../../src/campaigns/scripts/template.ts";

function parsed(text: string): { template: ParsedTemplate; fields: string[] } {
  const result = parseTemplate(text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${result.error}`);
  return result;
}

function render(text: string, values: Record<string, string | null | undefined> = {}): string {
  return renderTemplate(parsed(text).template, values);
}

describe("parseTemplate", () => {
  it("normalizes field names the way CSV headers are normalized", () => {
    expect(parsed("{firstName} {first_name} {First Name} {FIRST-NAME}").fields).toEqual(["firstname"]);
  });

  it("lists fields unique and in order of first use", () => {
    expect(parsed("{campaign}: hi {first_name}, {Favorite Color}? {campaign}").fields).toEqual([
      "campaign",
      "firstname",
      "favoritecolor",
    ]);
  });

  it("has no fields in plain text", () => {
    expect(parsed("Hello there").fields).toEqual([]);
    expect(parsed("").fields).toEqual([]);
  });

  it("treats {{ and }} as literal braces, not fields", () => {
    const { template, fields } = parsed("Use {{code}} now, {first_name}");
    expect(fields).toEqual(["firstname"]);
    expect(renderTemplate(template, { firstname: "Ana" })).toBe("Use {code} now, Ana");
  });

  it.each([
    ["Hi {first_name, see you", 'Unclosed "{" at character 4'],
    ["Hi there {", 'Unclosed "{" at character 10'],
    ["Hi {first\nname}", 'Unclosed "{" at character 4'],
    ["Hi } there", 'Stray "}" at character 4'],
    ["Hi {first_name}} there", 'Stray "}" at character 16'],
    ["Hi {}", 'Empty field name "{}" at character 4'],
    ["Hi {  |friend}", 'Empty field name "{  |friend}" at character 4'],
    ["Hi {_}", 'Empty field name "{_}" at character 4'],
    ["Hi {first_{name}}", 'Nested "{" at character 11'],
  ])("refuses %j", (text, message) => {
    const result = parseTemplate(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });
});

describe("renderTemplate", () => {
  it("substitutes values keyed by normalized name", () => {
    expect(
      render("Hi {First Name}, I'm {texter_name} with {campaign}.", {
        firstname: "Ana",
        textername: "Sam",
        campaign: "Yes on 3",
      }),
    ).toBe("Hi Ana, I'm Sam with Yes on 3.");
  });

  it("uses the fallback when the value is missing, null, empty or blank", () => {
    for (const value of [undefined, null, "", "   "]) {
      expect(render("Hi {first_name|friend}!", { firstname: value })).toBe("Hi friend!");
    }
    expect(render("Hi {first_name|friend}!", {})).toBe("Hi friend!");
  });

  it("prefers the value over the fallback", () => {
    expect(render("Hi {first_name | friend}!", { firstname: "Ana" })).toBe("Hi Ana!");
  });

  it("keeps everything after the first | as the fallback", () => {
    expect(render("{x|a|b}", {})).toBe("a|b");
  });

  it("renders a missing value as empty and tidies the space it leaves before punctuation", () => {
    expect(render("Hi {first_name}, this is Sam.", {})).toBe("Hi, this is Sam.");
    expect(render("Thanks {first_name}!", { firstname: "" })).toBe("Thanks!");
  });

  it("collapses the double space an empty value leaves", () => {
    expect(render("Hi {first_name} {last_name} how are you", { lastname: "Diaz" })).toBe("Hi Diaz how are you");
    expect(render("Hi {first_name} {last_name}, how are you", {})).toBe("Hi, how are you");
    expect(render("We {adverb} support you", {})).toBe("We support you");
  });

  it("drops trailing and line-start space an empty value leaves", () => {
    expect(render("Thanks {first_name}", {})).toBe("Thanks");
    expect(render("Thanks {first_name}\nSam", {})).toBe("Thanks\nSam");
    expect(render("{first_name} here is the link", {})).toBe("here is the link");
  });

  it("does not touch spacing away from empty values", () => {
    expect(render("Hi  {first_name} ,  ok .", { firstname: "Ana" })).toBe("Hi  Ana ,  ok .");
    expect(render("a  b , c {x}", {})).toBe("a  b , c");
  });

  it("never leaves a raw merge field in the output", () => {
    const output = render("{a} {b|} {c}{d} {e|x}", {});
    expect(output).not.toMatch(/[{}]/);
    expect(output).toBe("x");
  });

  it("does not read values from Object.prototype", () => {
    expect(render("Hi {constructor} {toString}!", {})).toBe("Hi!");
  });
});

describe("fieldsWithoutFallback", () => {
  it("lists fields used at least once without a fallback, in order of that use", () => {
    const { template } = parsed("{first_name|friend} {last_name} {zip|} {firstName} {lastName|x} {city}");
    expect(fieldsWithoutFallback(template)).toEqual(["lastname", "firstname", "city"]);
  });

  it("is empty when every field has a fallback", () => {
    expect(fieldsWithoutFallback(parsed("Hi {first_name|friend}").template)).toEqual([]);
  });
});

describe("unknownFields", () => {
  it("accepts builtins whatever was uploaded", () => {
    expect(unknownFields(["firstname", "lastname", "textername", "campaign"], [])).toEqual([]);
  });

  it("accepts columns by normalized header and names the rest", () => {
    const { fields } = parsed("{first_name} {Favorite Color} {precinct} {polling_place}");
    expect(unknownFields(fields, ["Favorite-Color", "Polling Place"])).toEqual(["precinct"]);
  });

  it("normalizes the fields it is given", () => {
    expect(unknownFields(["Favorite Color", "Shoe Size"], ["favorite_color"])).toEqual(["Shoe Size"]);
  });
});
