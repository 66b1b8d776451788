/**
 * A paginator's pages, a failure to fetch one rethrown as `translate` makes it (an AppError naming the
 * operation). Only the paginator's failures: one thrown by the loop that consumes the pages is its own.
 */
export async function* translatePageErrors<Page>(
  pages: AsyncIterable<Page>,
  translate: (error: unknown) => Error,
): AsyncGenerator<Page> {
  try {
    // A consumer that stops early calls return(), which reaches the paginator through this loop; only
    // the paginator's next() can throw into this catch.
    for await (const page of pages) yield page;
  } catch (error) {
    throw translate(error);
  }
}
