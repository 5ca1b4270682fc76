import t from 'tap'
import { ALLOWED_TRANSITIONS, STATUSES, canTransition, isTerminal } from '../../src/core/lifecycle.js'

// The table from DESIGN.md, written out independently of the source, pair by pair.
const LEGAL = new Set([
  'pending>ready', 'pending>completed',
  'ready>running', 'ready>completed',
  'running>suspended', 'running>backing-off', 'running>completed',
  'suspended>ready', 'suspended>completed',
  'backing-off>ready', 'backing-off>suspended', 'backing-off>completed'
])

t.test('every pair of statuses is legal exactly when DESIGN.md says so', async t => {
  let checked = 0
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      t.equal(canTransition(from, to), LEGAL.has(`${from}>${to}`), `${from} -> ${to}`)
      checked++
    }
  }
  t.equal(checked, 36)
})

t.test('completed is the only terminal status and has no way out', async t => {
  for (const s of STATUSES) t.equal(isTerminal(s), s === 'completed', s)
  t.same(ALLOWED_TRANSITIONS.completed, [])
})

t.test('no status moves to itself', async t => {
  for (const s of STATUSES) t.notOk(canTransition(s, s), s)
})
