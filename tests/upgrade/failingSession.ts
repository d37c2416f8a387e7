/** A session wrapper for tests of how reads that go at once report failures. */
import type { Session } from "../../provider/transport";

/** A session whose listed operations fail after the given real milliseconds; every other operation reaches the host. */
export function failingAfter(inner: Session, failures: Record<string, { ms: number; error?: Error }>): Session {
  return {
    label: inner.label,
    run(request, options) {
      const f = failures[request.operation];
      if (!f) return inner.run(request, options);
      return new Promise((_, reject) =>
        setTimeout(() => reject(f.error ?? new Error(`${request.operation} failed on ${inner.label}`)), f.ms),
      );
    },
  };
}
