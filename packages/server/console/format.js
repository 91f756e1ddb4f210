/** Times as a practice manager reads them: in the practice's zone, with the age of a past time. */

export function dateTime(iso, timeZone) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(new Date(iso));
}

/** "12 s ago", "4 min ago", "in 30 s". */
export function age(iso, now = Date.now()) {
  if (!iso) return '';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  const size = Math.abs(seconds);
  const text =
    size < 90
      ? `${size} s`
      : size < 5400
        ? `${Math.round(size / 60)} min`
        : size < 172800
          ? `${Math.round(size / 3600)} h`
          : `${Math.round(size / 86400)} days`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

/** The local clock time of a slot answer (its offset is the practice's own): "09:30". */
export const clock = (iso) => iso.slice(11, 16);

/** Today's date in a zone, YYYY-MM-DD. */
export function today(timeZone, plusDays = 0) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
  if (plusDays === 0) return parts;
  const [y, m, d] = parts.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + plusDays)).toISOString().slice(0, 10);
}

/** The day after a YYYY-MM-DD date. */
export function nextDay(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}
