import { describe, expect, it } from "vitest";
import {
  type ArgumentEntry,
  argumentView,
  formatArgumentEntry,
  isolatedJsonStrings,
} from "../../src/display/arguments.js";
import {
  cutText,
  hasRightToLeft,
  terminalLine,
  terminalSafeJson,
  visibleField,
  visibleText,
  visibleToolName,
} from "../../src/display/visible.js";
import {
  C1_CSI,
  CURSOR_UP_ERASE,
  FORGED_CUT,
  FORGED_LINES,
  FORGED_MARK,
  LOOK_ALIKE_MARK,
  RAW_RIGHT_TO_LEFT,
  RTL_OVERRIDE,
  ZERO_WIDTH,
} from "../helpers/attack-strings.js";

/** Every character that must never reach a screen raw, in one string. */
const EVERY_HIDDEN = [
  ...Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)),
  "\u007f",
  ...Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(0x80 + code)),
  ..."\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
  ..."\u200b\u200c\u200d\u2060\ufeff\u00ad\u2028\u2029\u180e\u034f\u3164\ufe0f",
  "\u{e0041}",
  "\ud800",
  // Default-ignorable code points not assigned yet (fonts draw them as nothing), private use, unassigned.
  ..."\u2065\ufff0\ufff8",
  "\u{e0000}",
  "\u{e0080}",
  "\u{e01f0}",
  "\ue000",
  "\u{10ffff}",
];

describe("visibleText", () => {
  it("shows escape sequences and carriage returns as marks, so nothing moves the cursor or erases a line", () => {
    expect(visibleText(CURSOR_UP_ERASE)).toBe("drop⟨U+001B⟩[1A⟨U+001B⟩[2K⟨U+000D⟩safe_tool");
  });

  it("keeps a forged block on one line: line breaks become marks", () => {
    const shown = visibleText(FORGED_LINES);
    expect(shown).not.toMatch(/[\r\n]/);
    expect(shown).toBe('x⟨U+000A⟩  arguments: {"path":"/tmp/ok"}⟨U+000A⟩  why: routine cleanup, safe');
  });

  it("shows bidi controls, zero-width characters and C1 controls as marks", () => {
    expect(visibleText(RTL_OVERRIDE)).toBe("⟨U+202E⟩dorp-tset");
    expect(visibleText(ZERO_WIDTH)).toBe("pro⟨U+200B⟩d");
    expect(visibleText(C1_CSI)).toBe("a⟨U+009B⟩2Jb");
  });

  it("leaves no hidden character raw: each one becomes its own mark", () => {
    for (const character of EVERY_HIDDEN) {
      const code = (character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
      expect([code, visibleText(`a${character}b`)]).toEqual([code, `a⟨U+${code}⟩b`]);
    }
  });

  it("shows combining marks past the fourth on one character as marks, so they cannot draw over other lines", () => {
    expect(visibleText(`o${"\u0301".repeat(6)}k`)).toBe(`o${"\u0301".repeat(4)}⟨U+0301⟩⟨U+0301⟩k`);
    // Vietnamese and Hebrew with points stack two or three: as they are.
    for (const text of ["Việt", "\u05e9\u05c1\u05b8\u05d1"]) expect(visibleText(text)).toBe(text);
    expect(terminalSafeJson(JSON.stringify(`o${"\u0301".repeat(5)}`))).toBe(
      `"o${"\u0301".repeat(4)}\\u0301"`,
    );
  });

  it("leaves ordinary text, accents, other scripts and emoji as they are", () => {
    for (const text of ["deploy stack-1", "café", "東京", "שלום", "😀", "a\u00a0b"]) {
      expect(visibleText(text)).toBe(text);
    }
  });
});

describe("cutting a long field", () => {
  it("cuts on code points, never inside a surrogate pair, and counts what it left out", () => {
    expect(cutText("😀😀😀", 2)).toEqual({ text: "😀😀", omittedChars: 1 });
    expect(cutText("abc", 3)).toEqual({ text: "abc", omittedChars: 0 });
    expect(cutText("abc", null)).toEqual({ text: "abc", omittedChars: 0 });
  });

  it("ends a shortened field with an explicit marker", () => {
    expect(visibleField(`${" ".repeat(400)}rm -rf /`, 10)).toBe(`${" ".repeat(10)}…⟨398 more characters⟩`);
    expect(visibleField("short", 10)).toBe("short");
  });
});

describe("terminalSafeJson", () => {
  it("writes hidden characters as \\u escapes: the same value, nothing raw on the terminal", () => {
    const value = { tool: RTL_OVERRIDE, note: ZERO_WIDTH, csi: C1_CSI, del: "\u007f", lone: "\ud800" };
    const text = terminalSafeJson(JSON.stringify(value, null, 2));
    expect(text).not.toMatch(/[\u007f-\u009f\u200b\u202e]/);
    expect(text).toContain("\\u202e");
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe("argumentView", () => {
  it("shows every key, even after a long padded value, and marks the value it shortened", () => {
    const json = JSON.stringify({ note: `${" ".repeat(400)}padding`, force: true });
    const view = argumentView(json, 20);
    expect(view.entries.map((entry) => formatArgumentEntry(entry))).toEqual([
      `"note": "${" ".repeat(19)}…⟨389 more characters⟩`,
      '"force": true',
    ]);
    expect(view.incomplete).toBe(false);
  });

  it("shortens a long key like a long value, with a marker, so it cannot push the keys after it out of view", () => {
    const json = JSON.stringify({ [`${" ".repeat(5000)}x`]: 1, force: true });
    const view = argumentView(json, 20);
    expect(view.entries.map((entry) => formatArgumentEntry(entry))).toEqual([
      `"${" ".repeat(19)}…⟨4983 more characters⟩: 1`,
      '"force": true',
    ]);
    expect(argumentView(json, null).entries[0]?.key).toBe(JSON.stringify(`${" ".repeat(5000)}x`));
  });

  it("shows all forty padding keys and the key after them", () => {
    const args: Record<string, string> = {};
    for (let index = 0; index < 40; index += 1) args[`pad${index}`] = "";
    args.target = "prod";
    const view = argumentView(JSON.stringify(args), 20);
    expect(view.entries).toHaveLength(41);
    expect(view.entries.at(-1)).toEqual({
      key: '"target"',
      keyOmittedChars: 0,
      value: '"prod"',
      omittedChars: 0,
    });
  });

  it("shows numbers to the last digit, as the text that was decided on has them", () => {
    const view = argumentView('{"id":12345678901234567890123,"price":1e400,"nested":{"a":[1,2]}}', null);
    expect(view.entries.map((entry) => entry.value)).toEqual([
      "12345678901234567890123",
      "1e400",
      '{"a":[1,2]}',
    ]);
  });

  it("makes hidden characters in keys and values visible", () => {
    const view = argumentView(JSON.stringify({ [`k${RTL_OVERRIDE}`]: ZERO_WIDTH, c1: C1_CSI }), null);
    expect(view.entries.map((entry) => formatArgumentEntry(entry))).toEqual([
      '"k⟨U+202E⟩dorp-tset": "pro⟨U+200B⟩d"',
      '"c1": "a⟨U+009B⟩2Jb"',
    ]);
  });

  it("shows the members of a text the inbox cut short and says it is incomplete", () => {
    const view = argumentView('{"a":"whole","b":"cut he', null);
    expect(view.entries).toEqual([
      { key: '"a"', keyOmittedChars: 0, value: '"whole"', omittedChars: 0 },
      { key: '"b"', keyOmittedChars: 0, value: '"cut he', omittedChars: 0 },
    ]);
    expect(view.incomplete).toBe(true);
    expect(argumentView("{}", 10)).toEqual({ entries: [], incomplete: false });
  });
});

describe("visibleToolName", () => {
  it("shows every character outside printable ASCII as a mark, so a look-alike name never reads as another", () => {
    expect(visibleToolName("delete_\u0430ll")).toBe("delete_⟨U+0430⟩ll");
    expect(visibleToolName("read file")).toBe("read⟨U+0020⟩file");
    expect(visibleToolName("get-item.v2_A")).toBe("get-item.v2_A");
    expect(visibleToolName("x\u202e")).toBe("x⟨U+202E⟩");
    expect(visibleToolName("abcdef", 3)).toBe("abc…⟨3 more characters⟩");
  });
});

describe("isolatedJsonStrings", () => {
  it("isolates each JSON string, escaped quotes and a cut string included, and nothing else", () => {
    const [i, e] = ["\u2068", "\u2069"];
    expect(isolatedJsonStrings('"files": ["א","1","ב","2"]')).toBe(
      `${i}"files"${e}: [${i}"א"${e},${i}"1"${e},${i}"ב"${e},${i}"2"${e}]`,
    );
    expect(isolatedJsonStrings('"a": "x\\"y", "n": 5')).toBe(`${i}"a"${e}: ${i}"x\\"y"${e}, ${i}"n"${e}: 5`);
    expect(isolatedJsonStrings('"note": "abc…⟨3 more characters⟩')).toBe(
      `${i}"note"${e}: ${i}"abc…⟨3 more characters⟩${e}`,
    );
    expect(isolatedJsonStrings("12")).toBe("12");
  });
});

describe("our marks cannot be forged", () => {
  it("shows a mark written into a value with its brackets as marks, so it never reads as one of ours", () => {
    expect(visibleText(FORGED_MARK)).toBe("rm -rf /tmp/cache⟨U+27E8⟩U+202E⟨U+27E9⟩");
    expect(visibleField(FORGED_MARK)).not.toContain("⟨U+202E⟩");
  });

  it("shows a cut marker written into a value as text, so a whole value never reads as a shortened one", () => {
    expect(visibleField(FORGED_CUT)).toBe("/tmp/ok…⟨U+27E8⟩9000 more characters⟨U+27E9⟩");
    // The one real cut marker is the one we add.
    expect(visibleField(FORGED_CUT, 7)).toBe("/tmp/ok…⟨23 more characters⟩");
  });

  it("shows angle brackets that look like ours as marks too", () => {
    expect(visibleText(LOOK_ALIKE_MARK)).toBe("a⟨U+2329⟩U+202E⟨U+232A⟩b⟨U+3008⟩U+200B⟨U+3009⟩");
  });

  it("marks the brackets in argument keys and values, so an entry never shows a forged cut", () => {
    const [entry] = argumentView(JSON.stringify({ "path⟨U+200B⟩": FORGED_CUT }), null).entries;
    expect(formatArgumentEntry(entry as ArgumentEntry)).toBe(
      '"path⟨U+27E8⟩U+200B⟨U+27E9⟩": "/tmp/ok…⟨U+27E8⟩9000 more characters⟨U+27E9⟩"',
    );
  });

  it("writes the brackets as \\u escapes in terminalSafeJson: the same value, no mark of ours", () => {
    const json = terminalSafeJson(JSON.stringify({ path: FORGED_CUT }));
    expect(json).toBe('{"path":"/tmp/ok…\\u27e89000 more characters\\u27e9"}');
    expect(JSON.parse(json)).toEqual({ path: FORGED_CUT });
  });
});

describe("right-to-left text on a terminal", () => {
  it("terminalLine shows right-to-left letters and Arabic digits as marks, so a bidi terminal cannot swap a key and a value", () => {
    const line = formatArgumentEntry(argumentView('{"א":"1"}', null).entries[0] as ArgumentEntry);
    expect(terminalLine(line)).toBe('"⟨U+05D0⟩": "1"');
    expect(terminalLine("ملف ١٢")).toBe("⟨U+0645⟩⟨U+0644⟩⟨U+0641⟩ ⟨U+0661⟩⟨U+0662⟩");
    expect(terminalLine("\u{10900}\u{1e900}\ufb1d\ufefc")).toBe("⟨U+10900⟩⟨U+1E900⟩⟨U+FB1D⟩⟨U+FEFC⟩");
  });

  it("terminalLine keeps our marks, other scripts and ASCII as they are, and marks a hidden character left raw", () => {
    expect(terminalLine(`${visibleField("x\u202e")} é 日本 ✓ …⟨3 more characters⟩`)).toBe(
      "x⟨U+202E⟩ é 日本 ✓ …⟨3 more characters⟩",
    );
    expect(terminalLine("a\u001b[2Jb\u2066")).toBe("a⟨U+001B⟩[2Jb⟨U+2066⟩");
    expect(terminalLine("plain ascii")).toBe("plain ascii");
  });

  it("terminalSafeJson escapes right-to-left characters: the same value, nothing a bidi terminal reorders", () => {
    const json = terminalSafeJson(JSON.stringify({ א: "1", files: ["ב", "٢"] }, null, 2));
    expect(json).not.toMatch(RAW_RIGHT_TO_LEFT);
    expect(JSON.parse(json)).toEqual({ א: "1", files: ["ב", "٢"] });
  });

  it("hasRightToLeft finds Hebrew, Arabic and the right-to-left planes, and nothing in other scripts", () => {
    expect(hasRightToLeft("abc א")).toBe(true);
    expect(hasRightToLeft("\u{10800}")).toBe(true);
    expect(hasRightToLeft("é 日本 Ωμέγα кот")).toBe(false);
  });
});
