/**
 * A bounded queue read as an async iterable (node.deliveries, node.channels). Producers never wait: when
 * the buffer is full `push` returns false and the caller counts the drop. Closing ends every iteration
 * once the buffered items are read.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly capacity: number;
  private items: T[] = [];
  private head = 0;
  private waiters: Array<(r: IteratorResult<T>) => void> = [];
  private closed = false;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Hands `item` to a waiting reader or buffers it; false when closed or full. */
  push(item: T): boolean {
    if (this.closed) return false;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter({ done: false, value: item });
      return true;
    }
    if (this.length >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  /** The next item; resolves done once closed and drained. */
  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head];
      this.items[this.head] = undefined as T;
      this.head++;
      if (this.head > 64 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next(), return: async () => ({ done: true, value: undefined }) };
  }
}
