// The two list operations command generation leans on: without duplicates, and the n-th round the list.

export const unique = <T>(xs: Iterable<T>): Array<T> => Array.from(new Set(xs))

/** The element a generated number lands on, wrapping round the list (never empty). */
export const pickFrom = <T>(xs: ReadonlyArray<T>, n: number): T => xs[n % xs.length]!
