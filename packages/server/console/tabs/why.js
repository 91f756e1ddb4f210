/**
 * "Why isn't this slot offered?": pick a date and a slot type, practitioner, appointment type or
 * slot, and see every rule in order with its evidence and fix (GET …/diagnostics/availability:
 * seed 001's four questions first), then that day's diary on both sides — the slots patients are
 * offered, and the appointments booked through us and in the EHR.
 */
import { all, api } from '../api.js';
import { badge, h, replace, statusLine, uid } from '../dom.js';
import { clock, nextDay, today } from '../format.js';
import { dataTable, problemBox } from '../ui.js';

const STATUS = {
  pass: ['ok', 'pass'],
  fail: ['bad', 'fail'],
  warn: ['warn', 'warning'],
  not_applicable: ['muted', 'not applicable'],
};

function labelled(label, control) {
  const id = uid('why');
  control.id = id;
  return h('span', { class: 'field' }, h('label', { for: id }, label), control);
}

function choose(name, entries, blank) {
  return h(
    'select',
    { name },
    h('option', { value: '' }, blank),
    entries.map((e) => h('option', { value: e.value }, e.label)),
  );
}

export async function whyTab(panel, ctx) {
  const { practice } = ctx;
  const base = `/v1/practices/${practice.id}`;
  const [slotTypes, practitioners, types] = await Promise.all([
    all(`${base}/ehr/slot-types`),
    all(`${base}/ehr/practitioners`),
    all(`${base}/appointment-types`),
  ]);
  const date = h('input', {
    type: 'date',
    name: 'date',
    required: true,
    value: today(practice.timeZone, 1),
  });
  const slotType = choose(
    'ehrSlotTypeId',
    slotTypes.map((e) => ({ value: e.ehrId, label: e.name })),
    'any slot type',
  );
  const practitioner = choose(
    'ehrPractitionerId',
    practitioners.map((e) => ({ value: e.ehrId, label: e.name })),
    'any practitioner',
  );
  const type = choose(
    'appointmentTypeId',
    types.map((t) => ({ value: t.id, label: t.name })),
    'any appointment type',
  );
  const slotId = h('input', { type: 'text', name: 'slotId', spellcheck: 'false', placeholder: 'optional' });
  const answer = h('div', { class: 'answer' });
  const status = statusLine();

  const run = async () => {
    status.textContent = 'Checking…';
    replace(answer);
    try {
      const query = {
        date: date.value,
        ehrSlotTypeId: slotType.value,
        ehrPractitionerId: practitioner.value,
        appointmentTypeId: type.value,
        slotId: slotId.value.trim(),
      };
      const [report, offered, diary] = await Promise.all([
        api('GET', `${base}/diagnostics/availability`, { query }),
        all(`${base}/slots`, { from: date.value, to: nextDay(date.value) }),
        all(`${base}/appointments`, { from: date.value, to: nextDay(date.value) }),
      ]);
      status.textContent = '';
      replace(answer, verdict(report), checklist(report), diaries(offered, diary, ctx.plugin.name));
      answer.querySelector('h3')?.focus();
    } catch (error) {
      status.textContent = '';
      replace(answer, problemBox(error));
    }
  };

  replace(
    panel,
    h('h2', { id: 'tab-heading' }, "Why isn't this slot offered?"),
    h(
      'p',
      { class: 'intro' },
      'Choose the day and what you expected to see. Every rule is checked in order, with what was found and how to fix what fails.',
    ),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (event) => {
          event.preventDefault();
          run();
        },
      },
      labelled('Date', date),
      labelled('Slot type', slotType),
      labelled('Practitioner', practitioner),
      labelled('Appointment type', type),
      labelled('Slot id', slotId),
      h('button', { type: 'submit' }, 'Check'),
    ),
    status,
    answer,
  );
}

function verdict(report) {
  const failing = report.failing ?? [];
  return h(
    'div',
    null,
    h(
      'h3',
      { tabindex: '-1' },
      `${report.date}: ${report.slotsOffered} of ${report.slotsConsidered} matching synced slot(s) offered`,
    ),
    failing.length === 0
      ? h('p', { class: 'notice ok' }, 'Every rule passes.')
      : h('p', { class: 'notice bad' }, `${failing.length} rule(s) fail: ${failing.join('; ')}`),
  );
}

function checklist(report) {
  return h(
    'ol',
    { class: 'checklist' },
    report.checks.map((check) => {
      const [kind, word] = STATUS[check.status] ?? ['warn', check.status];
      return h(
        'li',
        { class: `check check-${kind}`, 'data-check': check.id },
        h('p', null, badge(kind, word), ' ', h('strong', null, check.title)),
        h('p', { class: 'evidence' }, check.evidence),
        check.fix ? h('p', { class: 'fix' }, 'Fix: ', check.fix) : null,
      );
    }),
  );
}

function diaries(offered, diary, ehrName) {
  const name = (entity) => entity?.name ?? '—';
  const cells = (...values) =>
    h(
      'tr',
      null,
      values.map((v) => h('td', null, v)),
    );
  const time = (item) => `${clock(item.start)}–${clock(item.end)}`;
  return h(
    'div',
    { class: 'diaries' },
    h(
      'section',
      { 'aria-labelledby': 'offered-heading' },
      h('h3', { id: 'offered-heading' }, `Offered to patients (${offered.length})`),
      dataTable(
        ['Time', 'Appointment type', 'Practitioner', 'Location'],
        offered.map((s) => cells(time(s), name(s.appointmentType), name(s.practitioner), name(s.location))),
        {
          caption: 'Slots offered to patients that day',
          hideCaption: true,
          empty: 'No slot is offered that day.',
        },
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'diary-heading' },
      h('h3', { id: 'diary-heading' }, `Booked that day (${diary.length})`),
      dataTable(
        ['Time', 'Booked', 'Appointment type', 'Practitioner', `${ehrName} slot type`],
        diary.map((e) =>
          cells(
            time(e),
            e.source === 'slotbridge' ? `through us (${e.state})` : `in ${ehrName}`,
            name(e.appointmentType),
            name(e.practitioner),
            e.ehr.slotTypeName ?? e.ehr.slotTypeId,
          ),
        ),
        {
          caption: 'Appointments booked that day, through us and in the EHR',
          hideCaption: true,
          empty: 'Nothing is booked that day.',
        },
      ),
    ),
  );
}
