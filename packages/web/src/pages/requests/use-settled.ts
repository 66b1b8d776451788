import { useEffect, useState } from 'react';

/**
 * A value once it has stopped changing for `ms`: typeahead and filters ask the server once typing pauses.
 * Give it text (or other primitives): a new object each render would restart the timer for ever.
 */
export function useSettled<T extends string | number | boolean>(value: T, ms = 250): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
