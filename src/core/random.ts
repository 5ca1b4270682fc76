/**
 * The one seeded generator of an emulator: sfc32 seeded through splitmix32, so that every id,
 * duration and outcome follows from the seed.
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

export class Random {
  #seed = 0
  #a = 0
  #b = 0
  #c = 0
  #d = 0

  constructor (seed: number) {
    this.reseed(seed)
  }

  get seed (): number { return this.#seed }

  /** Starts the stream over, as if just constructed with `seed`. */
  reseed (seed: number): void {
    this.#seed = seed >>> 0
    let s = this.#seed
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#a = next()
    this.#b = next()
    this.#c = next()
    this.#d = next()
    for (let i = 0; i < 12; i++) this.uint32()
  }

  /** The generator's whole state, for snapshots. */
  getState (): [number, number, number, number] {
    return [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0]
  }

  setState (state: readonly number[]): void {
    this.#a = state[0] | 0
    this.#b = state[1] | 0
    this.#c = state[2] | 0
    this.#d = state[3] | 0
  }

  uint32 (): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** A float in [0, 1). */
  next (): number {
    return this.uint32() / 4294967296
  }

  /** An integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  /** True with probability p. */
  chance (p: number): boolean {
    if (p <= 0) return false
    if (p >= 1) return true
    return this.next() < p
  }

  base62 (length: number): string {
    let out = ''
    for (let i = 0; i < length; i++) out += BASE62[this.int(62)]
    return out
  }

  hex (length: number): string {
    let out = ''
    for (let i = 0; i < length; i++) out += (this.uint32() & 15).toString(16)
    return out
  }

  /** A standard normal sample (Box-Muller). */
  normal (): number {
    let u = 0
    while (u === 0) u = this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  pick<T> (items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  /** A seed drawn for a new generator, when the user gave none. */
  static freshSeed (): number {
    return Math.floor(Math.random() * 2 ** 31)
  }
}

/** A stable 64-bit-ish hash rendered in base62, used where Restate derives ids from a key. */
export function hashBase62 (text: string, length: number): string {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  const rng = new Random((h1 ^ (h2 * 31)) >>> 0)
  return rng.base62(length)
}
