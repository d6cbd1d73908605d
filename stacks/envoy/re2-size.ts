/**
 * A lower bound of the size of the program RE2 compiles a pattern into (RE2::ProgramSize(),
 * which Envoy compares with the runtime key `re2.max_program_size.error_level`, 100 unless set,
 * and refuses a regex above it). Every literal character, `.`, escape and class is at least
 * one instruction, a repetition `x{n,m}` is m copies of x, `*`, `+`, `?` and `|` add one, and
 * the match adds one. Real programs are bigger (RE2 adds an unanchored prefix, captures and
 * splits), so a bound above the limit is certain; one below it says nothing.
 */
export function re2MinProgramSize(pattern: string): number {
  const parser = new Parser(pattern);
  return parser.alternation() + 1;
}

class Parser {
  private at = 0;

  constructor(private readonly text: string) {}

  alternation(): number {
    let size = this.sequence();
    while (this.peek() === '|') {
      this.at++;
      size += this.sequence() + 1;
    }
    return size;
  }

  private sequence(): number {
    let size = 0;
    for (let c = this.peek(); c !== undefined && c !== '|' && c !== ')'; c = this.peek()) {
      size += this.quantified(this.atom());
    }
    return size;
  }

  private peek(): string | undefined {
    return this.text[this.at];
  }

  private atom(): number {
    const c = this.text[this.at++]!;
    if (c === '(') {
      // (?:...), (?P<name>...), (?i), (?i:...): skip the group's prefix.
      if (this.peek() === '?') {
        const close = /^\?[a-zA-Z-]*\)/.exec(this.text.slice(this.at));
        if (close) {
          this.at += close[0].length;
          return 0;
        }
        const prefix = /^\?(P?<[^>]*>|[a-zA-Z-]*:)/.exec(this.text.slice(this.at));
        if (prefix) this.at += prefix[0].length;
      }
      const size = this.alternation();
      if (this.peek() === ')') this.at++;
      return size;
    }
    if (c === '[') {
      // A class: one instruction at least, whatever it holds.
      if (this.peek() === '^') this.at++;
      if (this.peek() === ']') this.at++;
      while (this.at < this.text.length && this.peek() !== ']') {
        if (this.peek() === '\\') this.at++;
        else if (this.text.startsWith('[:', this.at))
          this.at = this.text.indexOf(':]', this.at) + 1;
        this.at++;
      }
      this.at++;
      return 1;
    }
    if (c === '\\') {
      const next = this.text[this.at++];
      if (next === 'Q') {
        const end = this.text.indexOf('\\E', this.at);
        const literal = this.text.slice(this.at, end < 0 ? undefined : end);
        this.at = end < 0 ? this.text.length : end + 2;
        return Buffer.byteLength(literal);
      }
      if (next === 'p' || next === 'P') {
        if (this.peek() === '{') this.at = this.text.indexOf('}', this.at) + 1;
        else this.at++;
        return 1;
      }
      // Anchors and word boundaries are empty-width: no bound from them.
      return next !== undefined && 'AzbB'.includes(next) ? 0 : 1;
    }
    if (c === '^' || c === '$') return 0;
    return Buffer.byteLength(c);
  }

  /** The size of `atom` with the quantifier that follows it, if any. */
  private quantified(size: number): number {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.at++;
      if (this.peek() === '?') this.at++;
      return size + 1;
    }
    const counted = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(this.text.slice(this.at)) : null;
    if (!counted) return size;
    this.at += counted[0].length;
    if (this.peek() === '?') this.at++;
    const min = Number(counted[1]);
    const max = counted[2] === undefined ? min : counted[3] ? Number(counted[3]) : undefined;
    return max === undefined ? size * min + 1 : size * max;
  }
}
