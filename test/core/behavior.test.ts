import t from 'tap'
import {
  DEFAULT_DURATION, DEFAULT_RETRY_POLICY, checkDistribution, planAttempt, renderOutput, resolveRetryPolicy, retryDelay, sample,
  type AttemptContext, type Distribution, type HandlerBehavior
} from '../../src/core/behavior.js'
import { Random } from '../../src/core/random.js'

const SAMPLES = 20_000
const ctx = (over: Partial<AttemptContext> = {}): AttemptContext => ({ attempt: 1, suspensions: 0, input: null, key: null, id: 'inv_1', ...over })

function draw (dist: Distribution, seed = 42): number[] {
  const random = new Random(seed)
  return Array.from({ length: SAMPLES }, () => sample(dist, random)).sort((a, b) => a - b)
}

function stats (values: number[]): { mean: number, median: number, p99: number, min: number, max: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length
  const at = (q: number): number => values[Math.min(values.length - 1, Math.floor(q * values.length))]
  return { mean, median: at(0.5), p99: at(0.99), min: values[0], max: values[values.length - 1] }
}

const within = (actual: number, expected: number, tolerance: number): boolean => Math.abs(actual - expected) <= expected * tolerance

t.test('constant durations in every notation', async t => {
  const random = new Random(1)
  const cases: Array<[Distribution, number]> = [[250, 250], ['250ms', 250], ['2s', 2000], ['1m', 60_000], ['PT10S', 10_000], ['1h30m', 5_400_000], [0, 0]]
  for (const [dist, ms] of cases) t.equal(sample(dist, random), ms, String(dist))
  t.equal(random.uint32(), new Random(1).uint32(), 'a constant draws nothing from the generator')
})

t.test('uniform: every sample within [min, max], mean and median in the middle', async t => {
  const s = stats(draw({ uniform: { min: '100ms', max: '300ms' } }))
  t.comment(`uniform 100..300ms over ${SAMPLES}: ${JSON.stringify(s)}`)
  t.ok(s.min >= 100 && s.max <= 300, 'bounds')
  t.ok(s.min <= 101 && s.max >= 299, 'reaches both ends')
  t.ok(within(s.mean, 200, 0.01), `mean ${s.mean} ≈ 200`)
  t.ok(within(s.median, 200, 0.02), `median ${s.median} ≈ 200`)
  t.ok(within(s.p99, 298, 0.01), `p99 ${s.p99} ≈ 298`)
})

t.test('exponential by mean: mean, median = mean·ln2, p99 = mean·ln100', async t => {
  const mean = 500
  const s = stats(draw({ exponential: { mean: '500ms' } }))
  t.comment(`exponential mean 500ms over ${SAMPLES}: ${JSON.stringify(s)}`)
  t.ok(s.min >= 0)
  t.ok(within(s.mean, mean, 0.03), `mean ${s.mean} ≈ ${mean}`)
  t.ok(within(s.median, mean * Math.LN2, 0.04), `median ${s.median} ≈ ${(mean * Math.LN2).toFixed(1)}`)
  t.ok(within(s.p99, mean * Math.log(100), 0.06), `p99 ${s.p99} ≈ ${(mean * Math.log(100)).toFixed(1)}`)
})

t.test('lognormal by median and p99: the sample median and p99 match, the mean is exp(mu + sigma²/2)', async t => {
  const cases: Array<[number, number]> = [[400, 4000], [30, 400], [2000, 2500]]
  for (const [median, p99] of cases) {
    const s = stats(draw({ lognormal: { median, p99 } }))
    const sigma = Math.log(p99 / median) / 2.3263478740408408
    const mean = median * Math.exp(sigma * sigma / 2)
    t.comment(`lognormal median ${median} p99 ${p99} over ${SAMPLES}: ${JSON.stringify({ ...s, mean: Math.round(s.mean * 10) / 10 })} expected mean ${mean.toFixed(1)}`)
    t.ok(within(s.median, median, 0.03), `median ${s.median} ≈ ${median}`)
    t.ok(within(s.p99, p99, 0.06), `p99 ${s.p99} ≈ ${p99}`)
    t.ok(within(s.mean, mean, 0.04), `mean ${s.mean.toFixed(1)} ≈ ${mean.toFixed(1)}`)
    t.ok(s.min >= 0, 'never negative (rounded to whole ms)')
  }
  t.same(draw({ lognormal: { median: '1s', p99: '1s' } }).slice(0, 3), [1000, 1000, 1000], 'p99 = median is a constant')
})

t.test('the same seed draws the same durations; another seed others', async t => {
  const dist: Distribution = { lognormal: { median: '400ms', p99: '4s' } }
  t.same(draw(dist, 9).slice(0, 100), draw(dist, 9).slice(0, 100))
  const a = new Random(9)
  const b = new Random(10)
  const seqA = Array.from({ length: 20 }, () => sample(dist, a))
  const seqB = Array.from({ length: 20 }, () => sample(dist, b))
  t.not(JSON.stringify(seqA), JSON.stringify(seqB))
})

t.test('checkDistribution names what is wrong', async t => {
  const cases: Array<[Distribution, string | undefined]> = [
    ['5s', undefined],
    ['soon', "invalid duration 'soon'"],
    [{ uniform: { min: '2s', max: '1s' } }, 'uniform min is greater than max'],
    [{ uniform: { min: '1s', max: 'x' } }, "invalid duration 'x'"],
    [{ exponential: { mean: '1 fortnight' } }, "invalid duration '1 fortnight'"],
    [{ lognormal: { median: 0, p99: 10 } }, 'lognormal needs 0 < median <= p99'],
    [{ lognormal: { median: '2s', p99: '1s' } }, 'lognormal needs 0 < median <= p99'],
    [{ lognormal: { median: '1s', p99: '1s' } }, undefined]
  ]
  for (const [dist, problem] of cases) t.equal(checkDistribution(dist), problem, JSON.stringify(dist))
})

t.test('planAttempt: no knobs is a 10ms success with a null output', async t => {
  t.same(planAttempt({}, ctx(), new Random(1)), { duration: DEFAULT_DURATION, outcome: { kind: 'success', output: null } })
})

t.test('transient.firstAttempts fails exactly the first N attempts, with code and message', async t => {
  const behavior: HandlerBehavior = { duration: 5, transient: { firstAttempts: 2, code: 503, message: 'warming up' } }
  const kinds = [1, 2, 3, 4].map(attempt => planAttempt(behavior, ctx({ attempt }), new Random(1)).outcome)
  t.same(kinds, [
    { kind: 'transient', code: 503, message: 'warming up' },
    { kind: 'transient', code: 503, message: 'warming up' },
    { kind: 'success', output: null },
    { kind: 'success', output: null }
  ])
  t.same(planAttempt({ transient: {} }, ctx(), new Random(1)).outcome, { kind: 'success', output: null }, 'an empty transient block never fails')
  t.same(planAttempt({ transient: { firstAttempts: 1 } }, ctx(), new Random(1)).outcome, { kind: 'transient', code: 500, message: 'transient failure' }, 'defaults')
})

t.test('transient, terminal and suspend probabilities hold over many attempts', async t => {
  const random = new Random(5)
  const behavior: HandlerBehavior = {
    transient: { probability: 0.2, code: 502, message: 'bad gateway' },
    terminal: { probability: 0.1, code: 402, message: 'declined' },
    suspend: { probability: 0.3, duration: '1m' }
  }
  const counts = { transient: 0, terminal: 0, suspend: 0, success: 0 }
  for (let i = 0; i < SAMPLES; i++) {
    const { outcome } = planAttempt(behavior, ctx(), random)
    counts[outcome.kind]++
    if (outcome.kind === 'transient' && counts.transient === 1) t.same(outcome, { kind: 'transient', code: 502, message: 'bad gateway' })
    if (outcome.kind === 'terminal' && counts.terminal === 1) t.same(outcome, { kind: 'terminal', code: 402, message: 'declined' })
    if (outcome.kind === 'suspend' && counts.suspend === 1) t.same(outcome, { kind: 'suspend', sleep: 60_000 })
  }
  // The checks apply in order: transient first, then terminal, then suspend.
  const expected = { transient: 0.2, terminal: 0.8 * 0.1, suspend: 0.8 * 0.9 * 0.3, success: 0.8 * 0.9 * 0.7 }
  t.comment(`outcomes over ${SAMPLES} attempts: ${JSON.stringify(counts)}`)
  for (const kind of ['transient', 'terminal', 'suspend', 'success'] as const) {
    const share = counts[kind] / SAMPLES
    t.ok(Math.abs(share - expected[kind]) < 0.012, `${kind}: ${share.toFixed(4)} ≈ ${expected[kind].toFixed(4)}`)
  }
})

t.test('terminal without a probability always fails; defaults 500 and a message', async t => {
  t.same(planAttempt({ terminal: {} }, ctx(), new Random(1)).outcome, { kind: 'terminal', code: 500, message: 'terminal failure' })
  t.same(planAttempt({ terminal: { probability: 0 } }, ctx(), new Random(1)).outcome, { kind: 'success', output: null })
})

t.test('a certain suspension happens once; a probable one may recur', async t => {
  const certain: HandlerBehavior = { suspend: { duration: { uniform: { min: '1s', max: '2s' } } }, output: { value: 'woke' } }
  const first = planAttempt(certain, ctx({ suspensions: 0 }), new Random(1))
  t.equal(first.outcome.kind, 'suspend')
  t.ok(first.outcome.kind === 'suspend' && first.outcome.sleep >= 1000 && first.outcome.sleep <= 2000)
  t.same(planAttempt(certain, ctx({ suspensions: 1 }), new Random(1)).outcome, { kind: 'success', output: 'woke' })
  const random = new Random(2)
  let again = 0
  for (let i = 0; i < 1000; i++) if (planAttempt({ suspend: { probability: 0.5, duration: '1s' } }, ctx({ suspensions: 3 }), random).outcome.kind === 'suspend') again++
  t.ok(again > 430 && again < 570, `after three suspensions still ~half suspend (${again}/1000)`)
})

t.test('outputs: a fixed value, the input echoed, a template', async t => {
  const input = { name: 'Ada', cart: { items: 3, sku: ['a', 'b'] }, none: null }
  const c = ctx({ input, key: 'cust-7', id: 'inv_1abc', attempt: 3 })
  t.same(renderOutput({ value: { ok: true, n: [1, 2] } }, c), { ok: true, n: [1, 2] })
  t.same(renderOutput({ echo: true }, c), input)
  t.equal(renderOutput({ echo: true }, ctx({ input: undefined })), null, 'no input echoes null')
  t.equal(renderOutput(undefined, c), null)
  const cases: Array<[string, string]> = [
    ['Hello, {{input.name}}!', 'Hello, Ada!'],
    ['{{ input.cart.items }} items', '3 items'],
    ['skus {{input.cart.sku}}', 'skus ["a","b"]'],
    ['for {{key}} in {{id}}, attempt {{attempt}}', 'for cust-7 in inv_1abc, attempt 3'],
    ['missing [{{input.nope}}] [{{input.name.deeper}}] [{{input.none}}] [{{other}}]', 'missing [] [] [] []'],
    ['{"order":"order-{{key}}"}', '{"order":"order-cust-7"}'],
    ['proto [{{input.__proto__}}] [{{input.constructor}}]', 'proto [] []']
  ]
  for (const [template, out] of cases) t.equal(renderOutput({ template }, c), out, template)
  t.equal(renderOutput({ template: 'Hello, {{input}}!' }, ctx({ input: 'world' })), 'Hello, world!')
  t.equal(renderOutput({ template: 'key {{key}}' }, ctx({ key: null })), 'key ', 'a null key renders empty')
})

t.test('outputs: a JSON value with templates in its strings', async t => {
  const c = ctx({ input: { amount: 42, currency: 'EUR', tags: ['a'] }, key: 'pi_9', id: 'inv_1abc', attempt: 1 })
  t.same(renderOutput({ json: { intent: '{{key}}', amount: '{{input.amount}}', note: '{{input.amount}} {{input.currency}}', tags: '{{input.tags}}', missing: '{{input.nope}}', fixed: [1, true, null, { deep: 'id {{id}}' }] } }, c), {
    intent: 'pi_9',
    amount: 42,
    note: '42 EUR',
    tags: ['a'],
    missing: null,
    fixed: [1, true, null, { deep: 'id inv_1abc' }]
  }, 'a whole placeholder keeps the value\'s type; mixed text is a string')
  const hostile = JSON.parse('{"__proto__": {"polluted": "{{key}}"}}')
  const out = renderOutput({ json: hostile }, c) as Record<string, unknown>
  t.same(Object.keys(out), ['__proto__'], '__proto__ stays an own key')
  t.equal(({} as Record<string, unknown>).polluted, undefined)
})

t.test('planAttempt renders the output from the attempt context', async t => {
  const plan = planAttempt({ output: { template: '{{input.x}}/{{key}}/{{attempt}}' } }, ctx({ input: { x: 7 }, key: 'k', attempt: 2 }), new Random(1))
  t.same(plan.outcome, { kind: 'success', output: '7/k/2' })
})

t.test('retry policies resolve in layers over the defaults (500ms, 2, 1m, 70, pause)', async t => {
  t.same(DEFAULT_RETRY_POLICY, { initialInterval: 500, exponentiationFactor: 2, maxInterval: 60_000, maxAttempts: 70, onMaxAttempts: 'pause' })
  t.same(resolveRetryPolicy(), DEFAULT_RETRY_POLICY)
  t.same(resolveRetryPolicy(
    { initialInterval: '100ms', maxAttempts: 10 },
    undefined,
    { exponentiationFactor: 3, maxInterval: 'PT2S', onMaxAttempts: 'kill' },
    { maxAttempts: 4 }
  ), { initialInterval: 100, exponentiationFactor: 3, maxInterval: 2000, maxAttempts: 4, onMaxAttempts: 'kill' })
  t.throws(() => resolveRetryPolicy({ initialInterval: 'soon' }), RangeError)
})

t.test('retry delays: 0.5s, 1s, 2s, 4s … capped at maxInterval', async t => {
  const delays = (policy = DEFAULT_RETRY_POLICY, n = 10): number[] => Array.from({ length: n }, (_, i) => retryDelay(policy, i + 1))
  t.same(delays(), [500, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000])
  t.same(delays(resolveRetryPolicy({ initialInterval: '1s', exponentiationFactor: 3, maxInterval: '10s' }), 5), [1000, 3000, 9000, 10_000, 10_000])
  t.same(delays(resolveRetryPolicy({ exponentiationFactor: 1 }), 3), [500, 500, 500], 'factor 1 is a constant interval')
  t.equal(retryDelay(DEFAULT_RETRY_POLICY, 200), 60_000, 'no overflow far out')
})
