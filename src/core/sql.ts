/**
 * A deliberately small SQL subset over one in-memory table: a tokenizer, a recursive-descent
 * parser and an evaluator, enough for the queries the `restate` CLI and dashboards send to
 * `POST /query`. Anything outside the subset is an {@link SqlError} naming the part it cannot do.
 *
 * SELECT <* | col [AS name], … | COUNT(*) [AS name]> FROM <table>
 *   [WHERE <cond> [AND|OR <cond>]…]   -- with parentheses and NOT
 *   [ORDER BY col [ASC|DESC], …] [LIMIT n [OFFSET m]] [;]
 * cond: col =|!=|<>|<|<=|>|>= literal, col [NOT] IN (literal, …), col IS [NOT] NULL, col [NOT] LIKE 'pat'
 *
 * Semantics follow SQL: a comparison with NULL is unknown (neither true nor false), `ORDER BY`
 * puts NULLs last ascending and first descending (as DataFusion, Restate's engine, does).
 */

export class SqlError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'SqlError'
  }
}

/** How a column's values compare: text, numbers, or RFC 3339 timestamps (also comparable to epoch ms). */
export type ColumnType = 'string' | 'number' | 'timestamp'

export type SqlValue = string | number
/** One row; an absent or undefined value is NULL. */
export type SqlRow = Readonly<Record<string, SqlValue | undefined>>

export interface SqlTable {
  name: string
  /** Column names, in `SELECT *` order, with their types. */
  columns: ReadonlyArray<readonly [string, ColumnType]>
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { kind: 'word', text: string, upper: string, pos: number }
  | { kind: 'quoted', text: string, pos: number }
  | { kind: 'string', text: string, pos: number }
  | { kind: 'number', value: number, text: string, pos: number }
  | { kind: 'symbol', text: string, pos: number }
  | { kind: 'end', pos: number }

const SYMBOLS = ['<=', '>=', '<>', '!=', '=', '<', '>', '(', ')', ',', '*', ';', '.']

export function tokenize (text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (/\s/.test(c)) { i++; continue }
    if (c === '-' && text[i + 1] === '-') {
      while (i < text.length && text[i] !== '\n') i++
      continue
    }
    const start = i
    if (/[A-Za-z_]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) i++
      const word = text.slice(start, i)
      tokens.push({ kind: 'word', text: word, upper: word.toUpperCase(), pos: start })
      continue
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      i++
      while (i < text.length && /[0-9]/.test(text[i])) i++
      if (text[i] === '.' && /[0-9]/.test(text[i + 1] ?? '')) {
        i++
        while (i < text.length && /[0-9]/.test(text[i])) i++
      }
      if (/[A-Za-z_]/.test(text[i] ?? '')) throw new SqlError(`unexpected character '${text[i]}' at position ${i + 1}`)
      const numText = text.slice(start, i)
      tokens.push({ kind: 'number', value: Number(numText), text: numText, pos: start })
      continue
    }
    if (c === '\'' || c === '"') {
      let value = ''
      i++
      for (;;) {
        if (i >= text.length) throw new SqlError(`unterminated ${c === '\'' ? 'string' : 'quoted identifier'} starting at position ${start + 1}`)
        if (text[i] === c) {
          if (text[i + 1] === c) { value += c; i += 2; continue }
          i++
          break
        }
        value += text[i++]
      }
      tokens.push({ kind: c === '\'' ? 'string' : 'quoted', text: value, pos: start })
      continue
    }
    const symbol = SYMBOLS.find(s => text.startsWith(s, i))
    if (symbol === undefined) throw new SqlError(`unexpected character '${c}' at position ${i + 1}`)
    tokens.push({ kind: 'symbol', text: symbol, pos: start })
    i += symbol.length
  }
  tokens.push({ kind: 'end', pos: text.length })
  return tokens
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

export type Literal = string | number

export type Condition =
  | { kind: 'compare', column: string, op: '=' | '!=' | '<' | '<=' | '>' | '>=', value: Literal }
  | { kind: 'in', column: string, values: Literal[], negated: boolean }
  | { kind: 'null', column: string, negated: boolean }
  | { kind: 'like', column: string, pattern: string, negated: boolean }
  | { kind: 'and' | 'or', left: Condition, right: Condition }
  | { kind: 'not', operand: Condition }

export type Projection =
  | { kind: 'all' }
  | { kind: 'columns', columns: Array<{ column: string, name: string }> }
  | { kind: 'count', name: string }

export interface Query {
  projection: Projection
  table: string
  where?: Condition
  orderBy: Array<{ column: string, descending: boolean }>
  limit?: number
  offset: number
}

/** Words that end a column list or a condition; also never taken as a column name. */
const RESERVED = new Set(['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'LIKE', 'ORDER', 'BY',
  'ASC', 'DESC', 'LIMIT', 'OFFSET', 'AS', 'GROUP', 'HAVING', 'JOIN', 'UNION', 'DISTINCT', 'ON', 'BETWEEN'])

const SUBSET = 'supported: SELECT <* | columns | COUNT(*)> FROM sys_invocation [WHERE …] [ORDER BY …] [LIMIT n [OFFSET m]]'

/** Bounds that keep a hostile query from exhausting the stack: nesting depth and conditions. */
export const MAX_NESTING = 64
export const MAX_CONDITIONS = 1000

class Parser {
  #tokens: Token[]
  #i = 0
  #depth = 0
  #conditions = 0
  /** Table qualifiers used in column references (`inv.id`), checked once the FROM is known. */
  #qualifiers: Array<{ name: string, token: Token }> = []

  constructor (text: string) {
    this.#tokens = tokenize(text)
  }

  get #peek (): Token { return this.#tokens[this.#i] }

  #next (): Token { return this.#tokens[this.#i++] }

  #describe (token: Token): string {
    switch (token.kind) {
      case 'end': return 'the end of the query'
      case 'string': return `'${token.text}' at position ${token.pos + 1}`
      case 'quoted': return `"${token.text}" at position ${token.pos + 1}`
      default: return `'${token.text}' at position ${token.pos + 1}`
    }
  }

  #isWord (upper: string, token = this.#peek): boolean {
    return token.kind === 'word' && token.upper === upper
  }

  #isSymbol (text: string, token = this.#peek): boolean {
    return token.kind === 'symbol' && token.text === text
  }

  #acceptWord (upper: string): boolean {
    if (!this.#isWord(upper)) return false
    this.#i++
    return true
  }

  #acceptSymbol (text: string): boolean {
    if (!this.#isSymbol(text)) return false
    this.#i++
    return true
  }

  #expectWord (upper: string, what: string): void {
    if (!this.#acceptWord(upper)) throw this.#unexpected(`expected ${what}`)
  }

  #expectSymbol (text: string, what: string): void {
    if (!this.#acceptSymbol(text)) throw this.#unexpected(`expected ${what}`)
  }

  #unexpected (expected: string, token = this.#peek): SqlError {
    if (token.kind === 'word' && UNSUPPORTED_WORDS.has(token.upper)) {
      return new SqlError(`${token.upper} (at position ${token.pos + 1}) is not supported by the emulator's SQL subset; ${SUBSET}`)
    }
    return new SqlError(`${expected}, found ${this.#describe(token)}`)
  }

  /** An identifier: a bare word (folded to lower case, as SQL does) or a "quoted" one (kept as is). */
  #identifier (what: string): string {
    const token = this.#peek
    if (token.kind === 'quoted') { this.#i++; return token.text }
    if (token.kind === 'word' && !RESERVED.has(token.upper)) { this.#i++; return token.text.toLowerCase() }
    throw this.#unexpected(`expected ${what}`)
  }

  /** A column reference: `col` or `qualifier.col`, where the qualifier is the table or its alias. */
  #column (what: string): string {
    const token = this.#peek
    const first = this.#identifier(what)
    if (!this.#acceptSymbol('.')) return first
    this.#qualifiers.push({ name: first, token })
    return this.#identifier(`a column name after ${first}.`)
  }

  parse (): Query {
    this.#expectWord('SELECT', 'SELECT')
    if (this.#isWord('DISTINCT')) throw this.#unexpected('')
    const projection = this.#projection()
    this.#expectWord('FROM', 'FROM')
    let table = this.#identifier('a table name')
    if (this.#acceptSymbol('.')) table = `${table}.${this.#identifier('a table name')}`
    const names = new Set([table, table.split('.').pop() as string])
    this.#acceptWord('AS')
    if (this.#peek.kind === 'word' && !RESERVED.has(this.#peek.upper)) names.add(this.#identifier('an alias for the table'))
    if (this.#isSymbol(',') || this.#isWord('JOIN')) throw new SqlError(`joins are not supported by the emulator's SQL subset (at ${this.#describe(this.#peek)}); ${SUBSET}`)
    const query: Query = { projection, table, orderBy: [], offset: 0 }
    if (this.#acceptWord('WHERE')) query.where = this.#or()
    if (this.#acceptWord('ORDER')) {
      this.#expectWord('BY', 'BY after ORDER')
      do {
        const column = this.#column('a column name after ORDER BY')
        let descending = false
        if (this.#acceptWord('DESC')) descending = true
        else this.#acceptWord('ASC')
        if (this.#isWord('NULLS')) throw this.#unexpected('NULLS FIRST/LAST is not supported')
        query.orderBy.push({ column, descending })
      } while (this.#acceptSymbol(','))
    }
    if (this.#acceptWord('LIMIT')) {
      query.limit = this.#count('LIMIT')
      if (this.#acceptWord('OFFSET')) query.offset = this.#count('OFFSET')
    } else if (this.#acceptWord('OFFSET')) {
      query.offset = this.#count('OFFSET')
    }
    this.#acceptSymbol(';')
    if (this.#peek.kind !== 'end') throw this.#unexpected('expected the end of the query')
    for (const { name, token } of this.#qualifiers) {
      if (!names.has(name)) throw new SqlError(`unknown table or alias '${name}' (at position ${token.pos + 1}); the query reads ${[...names].join(' / ')}`)
    }
    return query
  }

  #count (what: string): number {
    const token = this.#next()
    if (token.kind !== 'number' || !Number.isInteger(token.value) || token.value < 0) {
      throw new SqlError(`${what} needs a non-negative integer, found ${this.#describe(token)}`)
    }
    return token.value
  }

  #projection (): Projection {
    if (this.#acceptSymbol('*')) return { kind: 'all' }
    const columns: Array<{ column: string, name: string }> = []
    let count: { name: string } | undefined
    do {
      const token = this.#peek
      if (token.kind === 'word' && this.#isSymbol('(', this.#tokens[this.#i + 1])) {
        if (token.upper !== 'COUNT') throw new SqlError(`function ${token.text}() (at position ${token.pos + 1}) is not supported; only COUNT(*) is`)
        this.#i += 2
        // COUNT(1) counts rows too; DataFusion names that column count(Int64(1)).
        const one = this.#peek.kind === 'number' && this.#peek.value === 1
        if (one) this.#i++
        else if (!this.#acceptSymbol('*')) throw this.#unexpected('only COUNT(*) and COUNT(1) are supported: expected * or 1')
        this.#expectSymbol(')', ')')
        count = { name: this.#alias() ?? (one ? 'count(Int64(1))' : 'count(*)') }
        continue
      }
      if (this.#isSymbol('*')) throw this.#unexpected('* cannot be combined with other columns')
      const column = this.#column('a column name, * or COUNT(*)')
      columns.push({ column, name: this.#alias() ?? column })
    } while (this.#acceptSymbol(','))
    if (count !== undefined) {
      if (columns.length > 0) throw new SqlError('COUNT(*) cannot be combined with columns (that needs GROUP BY, which is not supported)')
      return { kind: 'count', name: count.name }
    }
    return { kind: 'columns', columns }
  }

  #alias (): string | undefined {
    if (!this.#acceptWord('AS')) return undefined
    const token = this.#peek
    if (token.kind === 'quoted') { this.#i++; return token.text }
    if (token.kind === 'word') { this.#i++; return token.text.toLowerCase() }
    throw this.#unexpected('expected a name after AS')
  }

  #or (): Condition {
    let left = this.#and()
    while (this.#acceptWord('OR')) left = { kind: 'or', left, right: this.#and() }
    return left
  }

  #and (): Condition {
    let left = this.#unary()
    while (this.#acceptWord('AND')) left = { kind: 'and', left, right: this.#unary() }
    return left
  }

  #unary (): Condition {
    if (this.#isWord('NOT') || this.#isSymbol('(')) {
      if (++this.#depth > MAX_NESTING) throw new SqlError(`the condition nests more than ${MAX_NESTING} levels of NOT and parentheses`)
      try {
        if (this.#acceptWord('NOT')) return { kind: 'not', operand: this.#unary() }
        this.#acceptSymbol('(')
        const inner = this.#or()
        this.#expectSymbol(')', ') to close the parenthesis')
        return inner
      } finally {
        this.#depth--
      }
    }
    if (++this.#conditions > MAX_CONDITIONS) throw new SqlError(`the WHERE clause has more than ${MAX_CONDITIONS} conditions`)
    return this.#condition()
  }

  #condition (): Condition {
    const column = this.#column('a column name in the condition')
    const token = this.#peek
    if (token.kind === 'symbol' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(token.text)) {
      this.#i++
      if (this.#isWord('NULL')) throw this.#unexpected(`comparing with NULL is never true; write ${column} IS NULL or IS NOT NULL`)
      const op = token.text === '<>' ? '!=' : token.text as '=' | '!=' | '<' | '<=' | '>' | '>='
      return { kind: 'compare', column, op, value: this.#literal() }
    }
    if (this.#acceptWord('IS')) {
      const negated = this.#acceptWord('NOT')
      this.#expectWord('NULL', 'NULL after IS')
      return { kind: 'null', column, negated }
    }
    const negated = this.#acceptWord('NOT')
    if (this.#acceptWord('IN')) {
      this.#expectSymbol('(', '( after IN')
      if (this.#isWord('SELECT')) throw this.#unexpected('subqueries are not supported')
      const values = [this.#literal()]
      while (this.#acceptSymbol(',')) values.push(this.#literal())
      this.#expectSymbol(')', ') to close the IN list')
      return { kind: 'in', column, values, negated }
    }
    if (this.#acceptWord('LIKE')) {
      const pattern = this.#next()
      if (pattern.kind !== 'string') throw new SqlError(`LIKE needs a 'pattern' string, found ${this.#describe(pattern)}`)
      if (this.#isWord('ESCAPE')) throw this.#unexpected('LIKE … ESCAPE is not supported')
      return { kind: 'like', column, pattern: pattern.text, negated }
    }
    throw this.#unexpected(`expected =, !=, <>, <, <=, >, >=, IN, NOT IN, IS [NOT] NULL or LIKE after ${column}`)
  }

  #literal (): Literal {
    const token = this.#next()
    if (token.kind === 'string') return token.text
    if (token.kind === 'number') return token.value
    this.#i--
    throw this.#unexpected('expected a \'string\' or a number')
  }
}

/** Words that name SQL features outside the subset: errors name them. */
const UNSUPPORTED_WORDS = new Set(['JOIN', 'GROUP', 'HAVING', 'UNION', 'DISTINCT', 'BETWEEN', 'WITH', 'INSERT', 'UPDATE',
  'DELETE', 'CREATE', 'DROP', 'ALTER', 'CASE', 'EXISTS', 'ILIKE', 'INTERSECT', 'EXCEPT', 'NULLS', 'ESCAPE', 'SIMILAR',
  'SHOW', 'DESCRIBE', 'EXPLAIN', 'SET'])

export function parseQuery (text: string): Query {
  return new Parser(text).parse()
}

// ---------------------------------------------------------------------------------------------
// Evaluation

type Truth = boolean | null

/** A prepared query: table and columns checked, literals converted to the columns' types. */
export interface Prepared {
  /** Keeps a row or not (SQL's unknown drops it). */
  filter: (row: SqlRow) => boolean
  run: (rows: Iterable<SqlRow>) => Array<Record<string, SqlValue>>
}

/** Parses `text` and checks it against `table`: unknown tables and columns are SqlErrors naming them. */
export function prepareQuery (text: string, table: SqlTable): Prepared {
  const query = parseQuery(text)
  const types = new Map(table.columns)
  if (query.table !== table.name) {
    throw new SqlError(`table '${query.table}' is not known to the emulator; the only table is ${table.name}`)
  }
  const typeOf = (column: string): ColumnType => {
    const type = types.get(column)
    if (type === undefined) {
      throw new SqlError(`column '${column}' is not a column of ${table.name} in the emulator; columns: ${table.columns.map(c => c[0]).join(', ')}`)
    }
    return type
  }
  if (query.projection.kind === 'columns') for (const c of query.projection.columns) typeOf(c.column)
  const order = query.orderBy.map(o => ({ ...o, type: typeOf(o.column) }))
  const test = query.where === undefined ? () => true : compileCondition(query.where, typeOf)
  const filter = (row: SqlRow): boolean => test(row) === true

  const project = (row: SqlRow): Record<string, SqlValue> => {
    const out: Record<string, SqlValue> = {}
    const projection = query.projection
    const pairs = projection.kind === 'columns' ? projection.columns : table.columns.map(([column]) => ({ column, name: column }))
    for (const { column, name } of pairs) {
      const value = row[column]
      if (value !== undefined && value !== null) out[name] = value
    }
    return out
  }

  return {
    filter,
    run: (rows) => {
      let kept: SqlRow[] = []
      for (const row of rows) if (filter(row)) kept.push(row)
      if (query.projection.kind === 'count') {
        return query.offset > 0 || query.limit === 0 ? [] : [{ [query.projection.name]: kept.length }]
      }
      if (order.length > 0) {
        kept = kept
          .map((row, index) => ({ row, index }))
          .sort((a, b) => {
            for (const o of order) {
              const c = compareForOrder(a.row[o.column], b.row[o.column], o.type, o.descending)
              if (c !== 0) return c
            }
            return a.index - b.index
          })
          .map(x => x.row)
      }
      const end = query.limit === undefined ? undefined : query.offset + query.limit
      return kept.slice(query.offset, end).map(project)
    }
  }
}

/** Runs one query over rows: the whole pipeline in one call. */
export function runQuery (text: string, table: SqlTable, rows: Iterable<SqlRow>): Array<Record<string, SqlValue>> {
  return prepareQuery(text, table).run(rows)
}

function isNull (value: SqlValue | undefined): value is undefined {
  return value === undefined || value === null
}

/** NULLs last ascending, first descending (DataFusion's default). */
function compareForOrder (a: SqlValue | undefined, b: SqlValue | undefined, type: ColumnType, descending: boolean): number {
  if (isNull(a) || isNull(b)) {
    if (isNull(a) && isNull(b)) return 0
    const c = isNull(a) ? 1 : -1
    return descending ? -c : c
  }
  const c = compareValues(toComparable(a, type), toComparable(b, type))
  return descending ? -c : c
}

function compareValues (a: SqlValue, b: SqlValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const x = String(a)
  const y = String(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/** A row value as compared: timestamps as epoch ms. */
function toComparable (value: SqlValue, type: ColumnType): SqlValue {
  if (type === 'timestamp') {
    const ms = typeof value === 'number' ? value : Date.parse(value)
    return Number.isNaN(ms) ? String(value) : ms
  }
  if (type === 'number') return typeof value === 'number' ? value : Number(value)
  return String(value)
}

/** A literal converted to the column's type, once, at preparation. */
function coerceLiteral (value: Literal, column: string, type: ColumnType): SqlValue {
  if (type === 'string') return String(value)
  if (type === 'number') {
    if (typeof value === 'number') return value
    const n = Number(value)
    if (value.trim() === '' || Number.isNaN(n)) throw new SqlError(`column '${column}' holds numbers; '${value}' is not a number`)
    return n
  }
  if (typeof value === 'number') return value
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new SqlError(`column '${column}' holds timestamps; '${value}' is not an RFC 3339 timestamp`)
  return ms
}

function compileCondition (cond: Condition, typeOf: (column: string) => ColumnType): (row: SqlRow) => Truth {
  switch (cond.kind) {
    case 'and': {
      const l = compileCondition(cond.left, typeOf)
      const r = compileCondition(cond.right, typeOf)
      return row => {
        const a = l(row)
        if (a === false) return false
        const b = r(row)
        if (b === false) return false
        return a === null || b === null ? null : true
      }
    }
    case 'or': {
      const l = compileCondition(cond.left, typeOf)
      const r = compileCondition(cond.right, typeOf)
      return row => {
        const a = l(row)
        if (a === true) return true
        const b = r(row)
        if (b === true) return true
        return a === null || b === null ? null : false
      }
    }
    case 'not': {
      const inner = compileCondition(cond.operand, typeOf)
      return row => {
        const v = inner(row)
        return v === null ? null : !v
      }
    }
    case 'null': {
      typeOf(cond.column)
      return row => isNull(row[cond.column]) !== cond.negated
    }
    case 'like': {
      typeOf(cond.column)
      const re = likeToRegExp(cond.pattern)
      return row => {
        const v = row[cond.column]
        if (isNull(v)) return null
        return re.test(String(v)) !== cond.negated
      }
    }
    case 'in': {
      const type = typeOf(cond.column)
      const values = cond.values.map(v => coerceLiteral(v, cond.column, type))
      return row => {
        const v = row[cond.column]
        if (isNull(v)) return null
        const x = toComparable(v, type)
        return values.some(y => compareValues(x, y) === 0) !== cond.negated
      }
    }
    case 'compare': {
      const type = typeOf(cond.column)
      const literal = coerceLiteral(cond.value, cond.column, type)
      const op = cond.op
      return row => {
        const v = row[cond.column]
        if (isNull(v)) return null
        const c = compareValues(toComparable(v, type), literal)
        switch (op) {
          case '=': return c === 0
          case '!=': return c !== 0
          case '<': return c < 0
          case '<=': return c <= 0
          case '>': return c > 0
          case '>=': return c >= 0
        }
      }
    }
  }
}

/** SQL LIKE: `%` any run of characters, `_` one character, everything else literal (case-sensitive). */
export function likeToRegExp (pattern: string): RegExp {
  let source = ''
  for (const ch of pattern) {
    if (ch === '%') source += '[\\s\\S]*'
    else if (ch === '_') source += '[\\s\\S]'
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 'u')
}
