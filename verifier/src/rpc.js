// Plain JSON-RPC over fetch: one HTTP request per round, every call of the round in a batch.

export class ChainUnreachable extends Error {
  /** The node could not be asked at all: nothing is concluded about the bundle. */
  constructor(message) {
    super(message);
    this.name = 'ChainUnreachable';
  }
}

export class RpcClient {
  constructor(url, { fetch: fetchImpl = globalThis.fetch.bind(globalThis), timeoutMs = 20000 } = {}) {
    this.url = url;
    this.fetch = fetchImpl;
    this.timeoutMs = timeoutMs;
    this.requests = 0;
  }

  /** Send `calls` ([{method, params}]) in one batch; returns [{result} | {error}] in order. */
  async batch(calls) {
    if (calls.length === 0) return [];
    const body = calls.map((call, id) => ({ jsonrpc: '2.0', id, method: call.method, params: call.params }));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let answer;
    try {
      this.requests += 1;
      const response = await this.fetch(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (!response.ok) throw new ChainUnreachable(`the node answered HTTP ${response.status}`);
      answer = await response.json();
    } catch (error) {
      if (error instanceof ChainUnreachable) throw error;
      throw new ChainUnreachable(`cannot reach ${this.url}: ${error.message || error}`);
    } finally {
      clearTimeout(timer);
    }
    if (!Array.isArray(answer)) {
      throw new ChainUnreachable(`the node did not answer the batch: ${JSON.stringify(answer).slice(0, 200)}`);
    }
    const byId = new Map(answer.map((item) => [item.id, item]));
    return calls.map((_, id) => byId.get(id) ?? { error: { message: 'no answer for this call' } });
  }
}
