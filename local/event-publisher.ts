/**
 * How a local service hands its AWS-shaped events (S3 notifications, SES feedback) to the bus: a
 * publish that never throws into the request, keeps what the bus refused (nothing silently lost),
 * and can be waited on until every hand-over has settled.
 */
export function eventPublisher<E>(
  publish: (entry: E) => unknown,
  onRefused: (entry: E, message: string) => void,
) {
  const undelivered: { entry: E; error: string }[] = [];
  const pending = new Set<Promise<void>>();
  const refused = (entry: E, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    undelivered.push({ entry, error: message });
    onRefused(entry, message);
  };
  return {
    publish(entry: E): void {
      let result: unknown;
      try {
        result = publish(entry);
      } catch (error) {
        refused(entry, error);
        return;
      }
      if (result instanceof Promise) {
        const settled = result.then(
          () => undefined,
          (error: unknown) => refused(entry, error),
        );
        pending.add(settled);
        void settled.finally(() => pending.delete(settled));
      }
    },
    undelivered: () => [...undelivered],
    /** Resolves once every hand-over has settled. */
    async idle(): Promise<void> {
      while (pending.size > 0) await Promise.all(pending);
    },
  };
}
