import { Type, type Static } from '@sinclair/typebox'
import { Duration, durationMs, type AttemptPlan } from './behavior.js'
import type { Random } from './random.js'

export const FaultEffect = Type.Union([
  Type.Object({
    type: Type.Literal('transient'),
    code: Type.Optional(Type.Integer({ minimum: 400, maximum: 599 })),
    message: Type.Optional(Type.String())
  }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('terminal'),
    code: Type.Optional(Type.Integer({ minimum: 400, maximum: 599 })),
    message: Type.Optional(Type.String())
  }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('latency'), by: Duration }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('suspend'), for: Duration }, { additionalProperties: false })
])
export type FaultEffect = Static<typeof FaultEffect>

export const FaultRuleInput = Type.Object({
  target: Type.Optional(Type.String({ description: 'Glob over `Service/handler`; `*` matches any run of characters. Default `*`.' })),
  key: Type.Optional(Type.String({ description: 'Only invocations to this object/workflow key' })),
  probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Chance per matching attempt (default 1)' })),
  count: Type.Optional(Type.Integer({ minimum: 1, description: 'Applies this many times, then the rule is removed (default: unlimited)' })),
  effect: FaultEffect
}, { additionalProperties: false })
export type FaultRuleInput = Static<typeof FaultRuleInput>

export const FaultRule = Type.Object({
  id: Type.String(),
  target: Type.String(),
  key: Type.Optional(Type.String()),
  probability: Type.Number(),
  remaining: Type.Union([Type.Integer(), Type.Null()]),
  applied: Type.Integer(),
  effect: FaultEffect
})
export type FaultRule = Static<typeof FaultRule>

interface CompiledRule {
  rule: FaultRule
  pattern: RegExp
}

/** Run-time fault rules, applied in insertion order to every attempt as it starts. */
export class FaultRules {
  #rules: CompiledRule[] = []
  #next = 1

  add (input: FaultRuleInput): FaultRule {
    if (input.effect.type === 'latency') durationMs(input.effect.by)
    if (input.effect.type === 'suspend') durationMs(input.effect.for)
    const target = input.target ?? '*'
    const rule: FaultRule = {
      id: `fault_${this.#next++}`,
      target,
      ...(input.key === undefined ? {} : { key: input.key }),
      probability: input.probability ?? 1,
      remaining: input.count ?? null,
      applied: 0,
      effect: input.effect
    }
    this.#rules.push({ rule, pattern: globToRegExp(target) })
    return rule
  }

  list (): FaultRule[] { return this.#rules.map(r => r.rule) }

  /** Puts back a rule as a snapshot listed it, id and counts included. */
  restore (rule: FaultRule): void {
    this.#rules.push({ rule: { ...rule }, pattern: globToRegExp(rule.target) })
    const n = Number(rule.id.replace(/^fault_/, ''))
    if (Number.isInteger(n) && n >= this.#next) this.#next = n + 1
  }

  remove (id: string): boolean {
    const before = this.#rules.length
    this.#rules = this.#rules.filter(r => r.rule.id !== id)
    return this.#rules.length !== before
  }

  clear (): void {
    this.#rules = []
    this.#next = 1
  }

  /** Applies matching rules to an attempt plan; consumes counts. */
  apply (plan: AttemptPlan, target: string, key: string | null, random: Random): AttemptPlan {
    if (this.#rules.length === 0) return plan
    let result = plan
    for (const compiled of [...this.#rules]) {
      const { rule } = compiled
      if (!compiled.pattern.test(target)) continue
      if (rule.key !== undefined && rule.key !== key) continue
      if (!random.chance(rule.probability)) continue
      result = applyEffect(result, rule.effect)
      rule.applied++
      if (rule.remaining !== null) {
        rule.remaining--
        if (rule.remaining === 0) this.remove(rule.id)
      }
    }
    return result
  }
}

function applyEffect (plan: AttemptPlan, effect: FaultEffect): AttemptPlan {
  switch (effect.type) {
    case 'latency':
      return { ...plan, duration: plan.duration + durationMs(effect.by) }
    case 'suspend':
      return { ...plan, outcome: { kind: 'suspend', sleep: durationMs(effect.for) } }
    case 'transient':
      return { ...plan, outcome: { kind: 'transient', code: effect.code ?? 500, message: effect.message ?? 'injected transient failure' } }
    case 'terminal':
      return { ...plan, outcome: { kind: 'terminal', code: effect.code ?? 500, message: effect.message ?? 'injected terminal failure' } }
  }
}

function globToRegExp (glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')
  return new RegExp(`^${escaped}$`)
}
