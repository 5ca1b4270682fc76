import t from 'tap'
import { MAX_CONDITIONS, MAX_NESTING, SqlError, likeToRegExp, parseQuery, runQuery, tokenize, type SqlRow, type SqlTable } from '../../src/core/sql.js'

const TABLE: SqlTable = {
  name: 'sys_invocation',
  columns: [['id', 'string'], ['status', 'string'], ['n', 'number'], ['at', 'timestamp'], ['key', 'string']]
}

const ROWS: SqlRow[] = [
  { id: 'a', status: 'running', n: 1, at: '2026-01-01T00:00:01.000Z', key: 'k1' },
  { id: 'b', status: 'completed', n: 3, at: '2026-01-01T00:00:03.000Z' },
  { id: 'c', status: 'backing-off', n: 2, at: '2026-01-01T00:00:02.000Z', key: 'k2' },
  { id: 'd', status: 'completed', at: '2026-01-01T00:00:04.000Z', key: 'x_1' }
]

const ids = (query: string): string[] => runQuery(query, TABLE, ROWS).map(r => String(r.id))

t.test('tokenizer', async t => {
  t.same(tokenize("SELECT a, 'it''s' FROM t WHERE n <= -1.5;").map(x => x.kind === 'end' ? 'END' : 'text' in x ? x.text : ''), [
    'SELECT', 'a', ',', "it's", 'FROM', 't', 'WHERE', 'n', '<=', '-1.5', ';', 'END'
  ])
  t.same(tokenize('"Mixed Case" -- comment\n*').map(x => x.kind), ['quoted', 'symbol', 'end'])
  t.throws(() => tokenize("SELECT 'open"), /unterminated string starting at position 8/)
  t.throws(() => tokenize('SELECT a FROM t WHERE a = @x'), /unexpected character '@' at position 27/)
})

t.test('parser shapes', async t => {
  t.same(parseQuery('select * from sys_invocation'), { projection: { kind: 'all' }, table: 'sys_invocation', orderBy: [], offset: 0 })
  t.same(parseQuery('SELECT COUNT(*) AS n FROM SYS_INVOCATION;').projection, { kind: 'count', name: 'n' })
  t.same(parseQuery('SELECT count(*) FROM sys_invocation').projection, { kind: 'count', name: 'count(*)' })
  t.same(parseQuery('SELECT ID, "status" AS s FROM sys_invocation').projection,
    { kind: 'columns', columns: [{ column: 'id', name: 'id' }, { column: 'status', name: 's' }] })
  t.match(parseQuery('SELECT id FROM sys_invocation ORDER BY n DESC, id ASC LIMIT 5 OFFSET 2'),
    { orderBy: [{ column: 'n', descending: true }, { column: 'id', descending: false }], limit: 5, offset: 2 })
  t.same(parseQuery("SELECT id FROM sys_invocation WHERE a = 'x' OR b = 'y' AND NOT (c IS NULL)").where, {
    kind: 'or',
    left: { kind: 'compare', column: 'a', op: '=', value: 'x' },
    right: {
      kind: 'and',
      left: { kind: 'compare', column: 'b', op: '=', value: 'y' },
      right: { kind: 'not', operand: { kind: 'null', column: 'c', negated: false } }
    }
  }, 'AND binds tighter than OR')
})

t.test('evaluation', async t => {
  const cases: Array<[string, string[]]> = [
    ['SELECT id FROM sys_invocation', ['a', 'b', 'c', 'd']],
    ["SELECT id FROM sys_invocation WHERE status = 'completed'", ['b', 'd']],
    ["SELECT id FROM sys_invocation WHERE status != 'completed'", ['a', 'c']],
    ["SELECT id FROM sys_invocation WHERE status <> 'completed'", ['a', 'c']],
    ['SELECT id FROM sys_invocation WHERE n > 1', ['b', 'c']],
    ['SELECT id FROM sys_invocation WHERE n >= 2 AND n < 3', ['c']],
    ["SELECT id FROM sys_invocation WHERE n <= '2'", ['a', 'c']],
    ['SELECT id FROM sys_invocation WHERE n != 1', ['b', 'c']], // NULL n is neither equal nor unequal
    ["SELECT id FROM sys_invocation WHERE id IN ('a', 'd', 'zz')", ['a', 'd']],
    ["SELECT id FROM sys_invocation WHERE key NOT IN ('k1')", ['c', 'd']],
    ['SELECT id FROM sys_invocation WHERE key IS NULL', ['b']],
    ['SELECT id FROM sys_invocation WHERE key IS NOT NULL', ['a', 'c', 'd']],
    ["SELECT id FROM sys_invocation WHERE key LIKE 'k%'", ['a', 'c']],
    ["SELECT id FROM sys_invocation WHERE key LIKE 'x_1'", ['d']],
    ["SELECT id FROM sys_invocation WHERE key LIKE 'x\\_%'", []],
    ["SELECT id FROM sys_invocation WHERE key NOT LIKE 'k%'", ['d']],
    ["SELECT id FROM sys_invocation WHERE at > '2026-01-01T00:00:02Z'", ['b', 'd']],
    ["SELECT id FROM sys_invocation WHERE at <= '2026-01-01T01:00:02+01:00'", ['a', 'c']],
    [`SELECT id FROM sys_invocation WHERE at = ${Date.parse('2026-01-01T00:00:03Z')}`, ['b']],
    ["SELECT id FROM sys_invocation WHERE (status = 'completed' OR n = 1) AND key IS NOT NULL", ['a', 'd']],
    ["SELECT id FROM sys_invocation WHERE NOT (status = 'completed')", ['a', 'c']],
    ['SELECT id FROM sys_invocation WHERE NOT n = 1', ['b', 'c']],
    ['SELECT id FROM sys_invocation ORDER BY n', ['a', 'c', 'b', 'd']],
    ['SELECT id FROM sys_invocation ORDER BY n DESC', ['d', 'b', 'c', 'a']],
    ['SELECT id FROM sys_invocation ORDER BY status, at DESC', ['c', 'd', 'b', 'a']],
    ['SELECT id FROM sys_invocation ORDER BY at LIMIT 2', ['a', 'c']],
    ['SELECT id FROM sys_invocation ORDER BY at LIMIT 2 OFFSET 3', ['d']],
    ['SELECT id FROM sys_invocation OFFSET 1', ['b', 'c', 'd']],
    ['SELECT id FROM sys_invocation LIMIT 0', []],
    ['  select id from sys_invocation where status = \'running\' ;  ', ['a']]
  ]
  for (const [query, want] of cases) t.same(ids(query), want, query)

  t.same(runQuery("SELECT COUNT(*) FROM sys_invocation WHERE status = 'completed'", TABLE, ROWS), [{ 'count(*)': 2 }])
  t.same(runQuery('SELECT COUNT(*) AS total FROM sys_invocation', TABLE, ROWS), [{ total: 4 }])
  t.same(runQuery('SELECT COUNT(*) FROM sys_invocation', TABLE, []), [{ 'count(*)': 0 }])
  t.same(runQuery("SELECT * FROM sys_invocation WHERE id = 'b'", TABLE, ROWS),
    [{ id: 'b', status: 'completed', n: 3, at: '2026-01-01T00:00:03.000Z' }], 'NULL columns are left out')
  t.same(runQuery("SELECT key, id AS who FROM sys_invocation WHERE id IN ('b', 'a')", TABLE, ROWS),
    [{ key: 'k1', who: 'a' }, { who: 'b' }], 'columns in the order asked, aliases as keys')
})

t.test('errors name the unsupported or unknown part', async t => {
  const cases: Array<[string, RegExp]> = [
    ['SELEC x', /expected SELECT, found 'SELEC' at position 1/],
    ['SELECT * FROM nope', /table 'nope' is not known to the emulator; the only table is sys_invocation/],
    ['SELECT nope FROM sys_invocation', /column 'nope' is not a column of sys_invocation/],
    ["SELECT id FROM sys_invocation WHERE bogus = 'x'", /column 'bogus'/],
    ['SELECT id FROM sys_invocation ORDER BY bogus', /column 'bogus'/],
    ['SELECT DISTINCT id FROM sys_invocation', /DISTINCT .* is not supported/],
    ['SELECT status, COUNT(*) FROM sys_invocation GROUP BY status', /COUNT\(\*\) cannot be combined with columns/],
    ['SELECT id FROM sys_invocation GROUP BY id', /GROUP .* is not supported/],
    ['SELECT id FROM sys_invocation a JOIN sys_invocation b', /expected the end of the query, found 'a'|JOIN/],
    ['SELECT id FROM sys_invocation, other', /joins are not supported/],
    ['SELECT max(n) FROM sys_invocation', /function max\(\) .* is not supported; only COUNT\(\*\) is/],
    ['SELECT COUNT(id) FROM sys_invocation', /only COUNT\(\*\) and COUNT\(1\) are supported/],
    ['SELECT id FROM sys_invocation WHERE n BETWEEN 1 AND 2', /BETWEEN .* is not supported/],
    ['SELECT id FROM sys_invocation WHERE key = NULL', /write key IS NULL/],
    ["SELECT id FROM sys_invocation WHERE n = 'abc'", /'abc' is not a number/],
    ["SELECT id FROM sys_invocation WHERE at > 'yesterday'", /'yesterday' is not an RFC 3339 timestamp/],
    ['SELECT id FROM sys_invocation WHERE id IN (SELECT id FROM sys_invocation)', /subqueries are not supported/],
    ['SELECT id FROM sys_invocation LIMIT -1', /LIMIT needs a non-negative integer/],
    ['SELECT id FROM sys_invocation LIMIT 1.5', /LIMIT needs a non-negative integer/],
    ["SELECT id FROM sys_invocation WHERE (status = 'x'", /\) to close the parenthesis/],
    ['SELECT id FROM sys_invocation WHERE status', /expected =, !=, <>, <, <=, >, >=, IN, NOT IN, IS \[NOT\] NULL or LIKE after status/],
    ['SELECT id FROM sys_invocation ORDER BY id NULLS FIRST', /NULLS .* is not supported/],
    ['SELECT id FROM sys_invocation; DROP TABLE x', /expected the end of the query, found 'DROP'|DROP/],
    ['DELETE FROM sys_invocation', /DELETE .* is not supported/],
    ['', /expected SELECT, found the end of the query/]
  ]
  for (const [query, message] of cases) {
    t.throws(() => runQuery(query, TABLE, ROWS), message, query)
    t.throws(() => runQuery(query, TABLE, ROWS), SqlError, query)
  }
})

t.test('LIKE patterns', async t => {
  t.ok(likeToRegExp('a.b%').test('a.bcd'))
  t.notOk(likeToRegExp('a.b%').test('axbcd'), 'regex characters are literal')
  t.ok(likeToRegExp('%\n%').test('x\ny'), '% spans lines')
  t.notOk(likeToRegExp('Greeter%').test('greeter/x'), 'case-sensitive')
})

t.test('hostile queries are refused before they exhaust the stack', async t => {
  const where = (cond: string): string => `SELECT * FROM sys_invocation WHERE ${cond}`
  t.throws(() => parseQuery(where(`${'('.repeat(100_000)}id = 'x'${')'.repeat(100_000)}`)), new SqlError(`the condition nests more than ${MAX_NESTING} levels of NOT and parentheses`))
  t.throws(() => parseQuery(where(`${'NOT '.repeat(100_000)}id = 'x'`)), /nests more than/)
  t.throws(() => parseQuery(where(Array(MAX_CONDITIONS + 1).fill("id = 'x'").join(' OR '))), new SqlError(`the WHERE clause has more than ${MAX_CONDITIONS} conditions`))
  t.ok(parseQuery(where(`${'('.repeat(MAX_NESTING)}id = 'x'${')'.repeat(MAX_NESTING)}`)), 'the limit itself is fine')
  t.ok(parseQuery(where(Array(MAX_CONDITIONS).fill("id = 'x'").join(' OR '))), 'so is the largest WHERE')
})

t.test('the restate CLI\'s own forms: a table alias, qualified columns, COUNT(1)', async t => {
  const rows: SqlRow[] = [
    { id: 'a', status: 'running', created_at: '2026-01-01T00:00:01.000Z' },
    { id: 'b', status: 'completed', created_at: '2026-01-01T00:00:02.000Z' },
    { id: 'c', status: 'backing-off', created_at: '2026-01-01T00:00:03.000Z' }
  ]
  const table: SqlTable = { name: 'sys_invocation', columns: [['id', 'string'], ['status', 'string'], ['created_at', 'timestamp']] }
  // As restate-cli 1.7.12 sends them for `restate invocations list` / `describe`.
  t.same(runQuery(`SELECT
            id
        FROM sys_invocation inv
        WHERE status != 'completed'
        ORDER BY inv.created_at DESC, inv.id
        LIMIT 100`, table, rows), [{ id: 'c' }, { id: 'a' }])
  t.same(runQuery("SELECT id FROM sys_invocation inv WHERE inv.id = 'b' LIMIT 1", table, rows), [{ id: 'b' }])
  t.same(runQuery('SELECT COUNT(1) FROM sys_invocation AS i WHERE i.status <> \'completed\'', table, rows), [{ 'count(Int64(1))': 2 }])
  t.same(runQuery('SELECT sys_invocation.id FROM sys_invocation WHERE sys_invocation.id = \'a\'', table, rows), [{ id: 'a' }])
  t.throws(() => runQuery('SELECT x.id FROM sys_invocation inv', table, rows), /unknown table or alias 'x'/)
  t.throws(() => runQuery('SELECT COUNT(2) FROM sys_invocation', table, rows), /only COUNT\(\*\) and COUNT\(1\)/)
})
