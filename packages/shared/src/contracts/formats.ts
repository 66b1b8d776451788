import Format from 'typebox/format';

// TypeBox's own `date-time` also accepts RFC 9557 suffixes (`…Z[Europe/Paris]`) that `Date.parse`
// cannot read; every date-time we accept is parsed by our code, so ours is plain RFC 3339 only.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

Format.Set('date-time', (value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
