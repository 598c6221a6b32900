// The list of checks a verification fills in, and the conclusion drawn from it.

export const OUTCOME = {
  AUTHENTIC: 'authentic',
  NOT_AUTHENTIC: 'not-authentic',
  VERDICT_MISMATCH: 'verdict-mismatch',
  UNREACHABLE: 'unreachable',
  UNUSABLE: 'unusable',
};

/** One check: pending until it passes, fails, is skipped, or is a note of what is not done here. */
export class Check {
  constructor(report, id, group, name, { verdict = false } = {}) {
    this.report = report;
    this.id = id;
    this.group = group;
    this.name = name;
    this.status = 'pending';
    this.expected = null;
    this.found = null;
    // A failure of this check alone means "genuine documents, verdict mismatch".
    this.verdict = verdict;
  }

  pass(found) {
    return this.settle('ok', null, found);
  }

  fail(expected, found) {
    return this.settle('fail', expected, found);
  }

  /** pass when `ok`, else fail with what was expected and found. */
  expect(ok, expected, found) {
    return ok ? this.pass(found) : this.fail(expected, found);
  }

  skip(reason) {
    return this.settle('skip', null, reason);
  }

  settle(status, expected, found) {
    if (this.status !== 'pending') return this.status === 'ok';
    this.status = status;
    this.expected = expected === null ? null : String(expected);
    this.found = found === null || found === undefined ? null : String(found);
    this.report.changed(this);
    return status === 'ok';
  }

  toJSON() {
    const { id, group, name, status, expected, found } = this;
    return { id, group, name, status, expected, found };
  }
}

export class Report {
  constructor(onChange = () => {}) {
    this.checks = [];
    this.notes = [];
    this.onChange = onChange;
    this.unreachable = null;
    this.unusable = null;
  }

  start(group, name, options) {
    const check = new Check(this, this.checks.length, group, name, options);
    this.checks.push(check);
    this.changed(check);
    return check;
  }

  /** Record something this page does not check itself, with who does. */
  note(group, text) {
    const note = { group, text, status: 'note', name: text, id: `note-${this.notes.length}` };
    this.notes.push(note);
    this.onChange(note);
  }

  changed(check) {
    this.onChange(check);
  }

  failed() {
    return this.checks.filter((check) => check.status === 'fail');
  }

  outcome() {
    if (this.unusable !== null) return OUTCOME.UNUSABLE;
    if (this.unreachable !== null) return OUTCOME.UNREACHABLE;
    const failed = this.failed();
    if (failed.length === 0) {
      return this.checks.some((check) => check.status === 'ok') ? OUTCOME.AUTHENTIC : OUTCOME.NOT_AUTHENTIC;
    }
    return failed.every((check) => check.verdict) ? OUTCOME.VERDICT_MISMATCH : OUTCOME.NOT_AUTHENTIC;
  }

  /** Settle every check still pending as skipped, with `reason`. */
  skipPending(reason) {
    for (const check of this.checks) if (check.status === 'pending') check.skip(reason);
  }

  toJSON() {
    return { outcome: this.outcome(), checks: this.checks.map((c) => c.toJSON()), notes: this.notes.map((n) => n.text) };
  }
}
