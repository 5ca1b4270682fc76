import t from 'tap'
import { Random, hashBase62 } from '../../src/core/random.js'

const N = 20_000

t.test('the same seed gives the same stream; another seed another stream', async t => {
  const stream = (seed: number): number[] => {
    const r = new Random(seed)
    return Array.from({ length: 50 }, () => r.uint32())
  }
  t.same(stream(1), stream(1))
  t.not(JSON.stringify(stream(1)), JSON.stringify(stream(2)))
  t.same(stream(2 ** 32), stream(0), 'seeds are taken as uint32: 2^32 wraps to 0')
  t.equal(new Random(-1).seed, 4294967295)
})

t.test('the stream is pinned, so that a seed gives the same ids from one release to the next', async t => {
  const r = new Random(1)
  t.same([r.uint32(), r.uint32(), r.uint32()], [1828152527, 3394835397, 2967886022])
  t.equal(new Random(1).base62(12), 'QngWxwkrG74L')
  t.equal(new Random(0).hex(8), 'b0d54248')
})

t.test('reseed starts the stream over', async t => {
  const r = new Random(42)
  const first = [r.next(), r.next(), r.base62(10)]
  r.reseed(42)
  t.same([r.next(), r.next(), r.base62(10)], first)
  t.equal(r.seed, 42)
  r.reseed(7)
  t.equal(r.seed, 7)
  t.equal(r.uint32(), new Random(7).uint32())
})

t.test('next is uniform in [0, 1)', async t => {
  const r = new Random(3)
  const buckets = new Array<number>(10).fill(0)
  let min = 1
  let max = 0
  let sum = 0
  for (let i = 0; i < N; i++) {
    const x = r.next()
    min = Math.min(min, x)
    max = Math.max(max, x)
    sum += x
    buckets[Math.floor(x * 10)]++
  }
  t.ok(min >= 0 && max < 1)
  t.ok(Math.abs(sum / N - 0.5) < 0.01, `mean ${(sum / N).toFixed(4)}`)
  // Chi-square with 9 degrees of freedom; 21.67 is the 99th percentile.
  const chi = buckets.reduce((s, b) => s + (b - N / 10) ** 2 / (N / 10), 0)
  t.ok(chi < 21.67, `chi-square ${chi.toFixed(2)} over ${JSON.stringify(buckets)}`)
})

t.test('int(n) covers [0, n) evenly', async t => {
  const r = new Random(4)
  const counts = new Array<number>(6).fill(0)
  for (let i = 0; i < N; i++) counts[r.int(6)]++
  t.ok(counts.every(c => Math.abs(c - N / 6) < N / 6 * 0.06), JSON.stringify(counts))
  t.equal(r.int(1), 0)
})

t.test('chance(p): certain and impossible draw nothing; otherwise about p', async t => {
  const r = new Random(5)
  const before = new Random(5)
  t.ok(r.chance(1))
  t.notOk(r.chance(0))
  t.notOk(r.chance(-0.5))
  t.ok(r.chance(2))
  t.equal(r.uint32(), before.uint32(), 'no draw for p <= 0 or p >= 1')
  let hits = 0
  for (let i = 0; i < N; i++) if (r.chance(0.3)) hits++
  t.ok(Math.abs(hits / N - 0.3) < 0.012, `${hits}/${N}`)
})

t.test('normal() has mean 0 and standard deviation 1', async t => {
  const r = new Random(6)
  const xs = Array.from({ length: N }, () => r.normal())
  const mean = xs.reduce((s, x) => s + x, 0) / N
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / N)
  t.ok(Math.abs(mean) < 0.03, `mean ${mean.toFixed(4)}`)
  t.ok(Math.abs(sd - 1) < 0.03, `sd ${sd.toFixed(4)}`)
  const within = xs.filter(x => Math.abs(x) < 1.96).length / N
  t.ok(Math.abs(within - 0.95) < 0.01, `${(within * 100).toFixed(2)}% within ±1.96`)
})

t.test('base62 and hex use only their alphabets, in the asked length, and use every character', async t => {
  const r = new Random(8)
  const b = r.base62(10_000)
  t.equal(b.length, 10_000)
  t.match(b, /^[0-9A-Za-z]+$/)
  t.equal(new Set(b).size, 62)
  const h = r.hex(1000)
  t.match(h, /^[0-9a-f]{1000}$/)
  t.equal(new Set(h).size, 16)
  t.equal(r.base62(0), '')
})

t.test('pick chooses among the items', async t => {
  const r = new Random(9)
  const seen = new Set<string>()
  for (let i = 0; i < 200; i++) seen.add(r.pick(['a', 'b', 'c']))
  t.same([...seen].sort(), ['a', 'b', 'c'])
})

t.test('hashBase62 is a pure function of its text', async t => {
  t.equal(hashBase62('Cart/k1', 13), hashBase62('Cart/k1', 13))
  t.match(hashBase62('Cart/k1', 13), /^[0-9A-Za-z]{13}$/)
  t.not(hashBase62('Cart/k1', 13), hashBase62('Cart/k2', 13))
  t.equal(hashBase62('x', 20).slice(0, 13), hashBase62('x', 13), 'a longer hash extends a shorter one')
  const distinct = new Set(Array.from({ length: 1000 }, (_, i) => hashBase62(`Obj/key-${i}`, 13)))
  t.equal(distinct.size, 1000)
})

t.test('freshSeed is a non-negative 31-bit integer', async t => {
  for (let i = 0; i < 100; i++) {
    const s = Random.freshSeed()
    t.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 31)
  }
})
