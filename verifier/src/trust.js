// Trust roots: registries pinned by whoever runs the verifier, never read from the bundle.

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Addresses from text, one per line (blank lines and # comments ignored); throws on junk. */
export function parseRegistryList(text) {
  const addresses = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const value = line.replace(/#.*/, '').trim();
    if (value === '') return;
    if (!ADDRESS.test(value)) throw new Error(`line ${index + 1}: ${value.slice(0, 60)} is not a 0x address`);
    addresses.push(value.toLowerCase());
  });
  return addresses;
}

/** A trust file of the spec: {"zones": [{"name", "chainId", "registries": [...]}]}. */
export function parseTrustFile(data) {
  if (data === null || typeof data !== 'object' || !Array.isArray(data.zones)) {
    throw new Error('a trust file is {"zones": [{"name", "chainId", "registries": [...]}]}');
  }
  return data.zones.map((zone, index) => {
    if (!Number.isInteger(zone?.chainId) || !Array.isArray(zone.registries)) {
      throw new Error(`zones[${index}] needs an integer chainId and a registries list`);
    }
    for (const address of zone.registries) {
      if (typeof address !== 'string' || !ADDRESS.test(address)) {
        throw new Error(`zones[${index}]: ${String(address).slice(0, 60)} is not a 0x address`);
      }
    }
    return { name: String(zone.name ?? ''), chainId: zone.chainId, registries: zone.registries.map((a) => a.toLowerCase()) };
  });
}

/**
 * The trust roots: `registries` typed in (trusted on whatever chain the node is) and the
 * `zones` of a trust file (trusted on their chain id only).
 */
export class TrustRoots {
  constructor({ registries = [], zones = [] } = {}) {
    this.registries = registries.map((a) => a.toLowerCase());
    this.zones = zones;
  }

  get empty() {
    return this.registries.length === 0 && this.zones.every((zone) => zone.registries.length === 0);
  }

  /** The zone name (or "typed in") that trusts `address` on `chainId`, or null. */
  trusts(address, chainId) {
    const wanted = String(address).toLowerCase();
    if (this.registries.includes(wanted)) return 'your list';
    const zone = this.zones.find((z) => z.chainId === chainId && z.registries.includes(wanted));
    return zone ? `zone ${zone.name || zone.chainId}` : null;
  }
}
