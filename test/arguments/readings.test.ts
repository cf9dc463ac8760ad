import { describe, expect, it } from "vitest";
import { otherReadings, wantedTypes } from "../../src/arguments/readings.js";
import { ExactNumber } from "../../src/wire/exact-number.js";

// otherReadings remembers the last string's readings (rules test the same argument one after
// another): what it answers must still be the readings of the string and the types asked now.
describe("otherReadings", () => {
  const numbers = wantedTypes([1000]);
  const booleans = wantedTypes([true]);
  const lists = wantedTypes([[1]]);

  it("answers for the types asked now, not for the ones asked last with the same string", () => {
    expect(otherReadings("1", numbers)).toEqual([1]);
    expect(otherReadings("1", booleans)).toEqual([true]);
    expect(otherReadings("1", numbers)).toEqual([1]);
    expect(otherReadings("[5000]", lists)).toEqual([[5000]]);
    expect(otherReadings("[5000]", numbers)).toEqual([]);
  });

  it("answers for the string given now, not for the one before it", () => {
    expect(otherReadings("5000", numbers)).toEqual([5000]);
    expect(otherReadings("6000", numbers)).toEqual([6000]);
    // Equal text in another string object reads the same.
    const built = ["50", "00"].join("");
    expect(otherReadings(built, numbers)).toEqual([5000]);
    expect(otherReadings("5000", numbers)).toEqual([5000]);
  });

  it("reads a string longer than it remembers every time, the same way", () => {
    const long = ` ${"7".repeat(70_000)} `;
    const first = otherReadings(long, numbers);
    expect(first.length).toBeGreaterThan(0);
    expect(otherReadings(long, numbers)).toEqual(first);
    expect(otherReadings("8", numbers)).toEqual([8]);
  });

  it("reads a literal no double holds as the double a bool, an int and the 1.x SDK make of it", () => {
    const nulls = wantedTypes([null]);
    // A bool field reads the double the server's JSON parser made: 1e-400 is False, 1.0000000000000001 True.
    expect(otherReadings(new ExactNumber("1e-400"), booleans)).toEqual([false]);
    expect(otherReadings(new ExactNumber("1.0000000000000001"), booleans)).toEqual([true]);
    // An int field takes every digit of the double beyond 2^53, not its shortest form (1234567890123456800).
    expect(otherReadings(new ExactNumber("1234567890123456789.5"), numbers).map(String)).toEqual([
      "1234567890123456800",
      "1234567890123456768",
    ]);
    // The 1.x SDK dumps the request as JSON again, and an infinity becomes null.
    expect(otherReadings(new ExactNumber("1e400"), nulls)).toEqual([null]);
    expect(otherReadings(new ExactNumber("1e300"), nulls)).toEqual([]);
  });
});
