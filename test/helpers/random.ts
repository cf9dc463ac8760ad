/** A small seeded generator (mulberry32), so that a failing case names the seed that reproduces it. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const chance = (p: number) => next() < p;
  /** One to `max` distinct items. */
  const some = <T>(items: readonly T[], max: number): T[] => {
    const count = 1 + Math.floor(next() * max);
    return [...new Set(Array.from({ length: count }, () => pick(items)))];
  };
  return { next, pick, chance, some };
}

export type Random = ReturnType<typeof seededRandom>;
