/**
 * Seed 000's four stages, each a whole table saved at once with one PUT: our side on the left,
 * the EHR's dropdown on the right. When the API refuses a table (a duplicate 1:1 choice, more
 * than one unregistered-patient slot type, …) the rows it names turn red with its message, and
 * nothing is saved — the API saves all rows or none.
 */
import { ApiError, all, api } from '../api.js';
import { badge, h, replace, statusLine, uid } from '../dom.js';
import { dataTable, messageOf, problemBox } from '../ui.js';

const FEATURES = [
  { value: 'not_bookable', label: 'Not Bookable' },
  { value: 'unregistered_patient', label: 'Unregistered Patient Booking' },
  { value: 'bookable', label: 'Bookable' },
];

/** A labelled dropdown: `options` are { value, label }; '' is the blank choice. */
function dropdown(label, options, value) {
  return h(
    'select',
    { 'aria-label': label, value: value ?? '' },
    options.map((o) => h('option', { value: o.value }, o.label)),
  );
}

/** EHR entities as dropdown options, a gone one marked; blank first. */
function ehrOptions(entries, blankLabel) {
  return [
    { value: '', label: blankLabel },
    ...entries.map((e) => ({ value: e.ehrId, label: e.gone ? `${e.name} (gone from the EHR)` : e.name })),
  ];
}

/** "Gone" beside a row whose EHR entity no longer exists there. */
const goneMark = (entity) =>
  entity?.gone ? badge('bad', 'gone from the EHR — choose again or leave blank') : null;

/**
 * The frame every stage shares: intro, the table, Save and "Refresh from EHR", and the API's
 * verdict. `collect` reads the table into the PUT body; `afterSave` runs once it is saved.
 * @param {HTMLElement} panel
 * @param {any} ctx
 * @param {{ heading: string, intro: string[], path: string, table: HTMLElement,
 *   rows: HTMLTableRowElement[], collect: () => unknown, afterSave?: () => Promise<void>,
 *   extra?: HTMLElement }} stage
 */
function stageFrame(panel, ctx, { heading, intro, path, table, rows, collect, afterSave, extra }) {
  const status = statusLine();
  const errorBox = h('div', { 'aria-live': 'assertive' });
  const clearMarks = () => {
    for (const tr of rows) {
      tr.classList.remove('conflict');
      const note = tr.querySelector('.row-problem');
      if (note) note.textContent = '';
      for (const control of tr.querySelectorAll('select, input')) control.removeAttribute('aria-invalid');
    }
  };
  const save = h('button', { type: 'submit' }, 'Save the table');
  const form = h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        clearMarks();
        replace(errorBox);
        save.disabled = true;
        status.textContent = 'Saving…';
        try {
          await api('PUT', `/v1/practices/${ctx.practice.id}/mappings/${path}`, { body: collect() });
          if (afterSave) await afterSave();
          // Redrawn from the API, so the page shows what is saved now.
          await ctx.reload(`Saved at ${new Date().toLocaleTimeString('en-GB')}.`);
        } catch (error) {
          status.textContent = '';
          showRowErrors(error, rows, errorBox);
        } finally {
          save.disabled = false;
        }
      },
    },
    table,
    h('div', { class: 'actions' }, save, refreshButton(ctx, status)),
    status,
    errorBox,
  );
  replace(
    panel,
    h('h2', { id: 'tab-heading' }, heading),
    intro.map((p) => h('p', { class: 'intro' }, p)),
    form,
    extra ?? null,
  );
}

/** Marks the rows the API named, with its words; the whole answer above the table. */
function showRowErrors(error, rows, errorBox) {
  const problem = error instanceof ApiError ? error.problem : null;
  const listed = Array.isArray(problem?.errors) ? problem.errors.filter((e) => Number.isInteger(e.row)) : [];
  for (const item of listed) {
    const tr = rows[item.row];
    if (!tr) continue;
    tr.classList.add('conflict');
    const note = tr.querySelector('.row-problem');
    if (note) note.textContent = note.textContent ? `${note.textContent} ${item.message}` : item.message;
    const control = item.field ? tr.querySelector(`[data-field="${item.field}"]`) : null;
    (control ?? tr.querySelector('select'))?.setAttribute('aria-invalid', 'true');
  }
  replace(
    errorBox,
    problemBox(error),
    listed.length > 0
      ? h('p', { class: 'notice' }, 'Nothing was saved. The rows in red need a different choice.')
      : null,
  );
}

/** Reads the EHR's practitioners, sites and slot types now (POST …/discover), then redraws. */
function refreshButton(ctx, status) {
  return h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: async () => {
        status.textContent = 'Reading the EHR…';
        try {
          const found = await api('POST', `/v1/practices/${ctx.practice.id}/discover`);
          const gone = found.mappingsPointingAtGone?.length ?? 0;
          await ctx.reload(
            `Refreshed from the EHR.${gone ? ` ${gone} mapping(s) point at something gone from the EHR: marked below.` : ''}`,
          );
        } catch (error) {
          status.textContent = `Could not read the EHR: ${messageOf(error)}`;
        }
      },
    },
    'Refresh from EHR',
  );
}

/** A small form under a table to add one of ours (the booking side's own list). */
function addForm(label, fields, create) {
  const status = statusLine();
  const inputs = fields.map((f) => {
    const id = uid('add');
    return {
      ...f,
      id,
      input: h('input', {
        id,
        name: f.name,
        type: f.type ?? 'text',
        required: true,
        value: f.value,
        min: f.min,
      }),
    };
  });
  return h(
    'form',
    {
      class: 'add',
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await create(
            Object.fromEntries(
              inputs.map((f) => [f.name, f.type === 'number' ? Number(f.input.value) : f.input.value.trim()]),
            ),
          );
        } catch (error) {
          status.textContent = `Not added: ${messageOf(error)}`;
        }
      },
    },
    h('h3', null, label),
    inputs.map((f) => h('span', { class: 'field' }, h('label', { for: f.id }, f.label), f.input)),
    h('button', { type: 'submit', class: 'secondary' }, 'Add'),
    status,
  );
}

const problemCell = () => h('td', { class: 'row-problem' });

/** Stages 1 and 2: ours ↔ the EHR's, 1 to 1, blank allowed. */
function oneToOneStage({
  heading,
  ours,
  ehr,
  ehrIdKey,
  ehrKey,
  idKey,
  nameKey,
  entityKey,
  blank,
  intro,
  add,
}) {
  return async (panel, ctx) => {
    const base = `/v1/practices/${ctx.practice.id}`;
    const [mapping, entries] = await Promise.all([
      api('GET', `${base}/mappings/${ours}`),
      all(`${base}/ehr/${ehr}`),
    ]);
    const options = ehrOptions(entries, blank);
    const rows = mapping.rows.map((row) => {
      const select = dropdown(`${ctx.plugin.name} ${ehrKey} for ${row[nameKey]}`, options, row[ehrIdKey]);
      select.dataset.field = ehrIdKey;
      return h(
        'tr',
        { 'data-id': row[idKey] },
        h('th', { scope: 'row' }, row[nameKey]),
        h('td', null, select, ' ', goneMark(row[entityKey])),
        problemCell(),
      );
    });
    stageFrame(panel, ctx, {
      heading,
      intro,
      path: ours,
      rows,
      table: dataTable([`Ours (${ours})`, ctx.plugin.name, ''], rows, {
        caption: heading,
        hideCaption: true,
        className: 'mapping',
        empty: `There are no ${ours} on the booking side yet: add them below.`,
      }),
      collect: () => ({
        rows: rows.map((tr) => ({
          [idKey]: tr.dataset.id,
          [ehrIdKey]: tr.querySelector('select').value || null,
        })),
      }),
      extra: addForm(add.label, [{ name: 'name', label: 'Name' }], async (body) => {
        await api('POST', `${base}/${ours}`, { body });
        await ctx.reload(`Added ${body.name}.`);
      }),
    });
  };
}

export const practitionersTab = oneToOneStage({
  heading: 'Stage 1: Practitioners',
  ours: 'practitioners',
  ehr: 'practitioners',
  ehrIdKey: 'ehrPractitionerId',
  ehrKey: 'practitioner',
  idKey: 'practitionerId',
  nameKey: 'practitionerName',
  entityKey: 'ehrPractitioner',
  blank: '— booking side only —',
  intro: [
    'Left: the practitioners of the booking side. Right: choose the matching practitioner (session holder) in the EHR.',
    'Only for practitioners who offer appointments in both. Leave blank for one who offers them through the booking side only. Each EHR practitioner may be chosen once: choosing one for two rows turns both red, and nothing is saved.',
  ],
  add: { label: 'Add a practitioner' },
});

export const locationsTab = oneToOneStage({
  heading: 'Stage 2: Locations',
  ours: 'locations',
  ehr: 'locations',
  ehrIdKey: 'ehrLocationId',
  ehrKey: 'site',
  idKey: 'locationId',
  nameKey: 'locationName',
  entityKey: 'ehrLocation',
  blank: '— booking side only —',
  intro: [
    'Left: the locations of the booking side. Right: the matching site (branch) in the EHR; leave blank for a location that exists on the booking side only.',
    "The names don't need to match. Each EHR site may be chosen once.",
  ],
  add: { label: 'Add a location' },
});

/** Stage 3, with seed 001's active list beside it: every EHR slot type, its feature, its appointment type. */
export async function slotTypesTab(panel, ctx) {
  const base = `/v1/practices/${ctx.practice.id}`;
  const [mapping, active, types] = await Promise.all([
    api('GET', `${base}/mappings/slot-types`),
    api('GET', `${base}/active-slot-types`),
    all(`${base}/appointment-types`),
  ]);
  const activeIds = new Set(active.ehrSlotTypeIds);
  const typeOptions = [
    { value: '', label: '—' },
    { value: 'disabled', label: '--DISABLED--' },
    ...types.map((t) => ({ value: t.id, label: t.name })),
  ];
  const rows = mapping.rows.map((row) => {
    const name = row.ehrSlotType?.name ?? row.ehrSlotTypeId;
    const feature = dropdown(`Feature of ${name}`, FEATURES, row.configured ? row.feature : 'not_bookable');
    feature.dataset.field = 'feature';
    const type = dropdown(`Appointment type for ${name}`, typeOptions, row.appointmentTypeId ?? '');
    type.dataset.field = 'appointmentTypeId';
    const activeBox = h('input', {
      type: 'checkbox',
      'aria-label': `${name} is active (synced)`,
      checked: activeIds.has(row.ehrSlotTypeId),
    });
    return h(
      'tr',
      { 'data-id': row.ehrSlotTypeId },
      h(
        'th',
        { scope: 'row' },
        name,
        ' ',
        row.configured ? null : badge('warn', 'not set yet'),
        goneMark(row.ehrSlotType),
      ),
      h('td', { class: 'center' }, activeBox),
      h('td', null, feature),
      h('td', null, type),
      problemCell(),
    );
  });
  stageFrame(panel, ctx, {
    heading: 'Stage 3: Slot type features',
    intro: [
      'Every slot type of the EHR. Active: the sync reads it (seed 001) — slot types not ticked are ignored, even if they are in the EHR diary.',
      'Feature: Bookable (offered to patients), Not Bookable (booked in the EHR only) or Unregistered Patient Booking — exactly one slot type, used for nothing else, that holds the time for a patient the EHR cannot match.',
      'Appointment type: what an EHR booking of that slot type shows as on the booking side; --DISABLED-- hides those bookings (their time stays unavailable).',
    ],
    path: 'slot-types',
    rows,
    table: dataTable([`${ctx.plugin.name} slot type`, 'Active', 'Feature', 'Appointment type', ''], rows, {
      caption: 'Slot type features',
      hideCaption: true,
      className: 'mapping',
      empty: 'No EHR slot types known yet: set up the connection, then Refresh from EHR.',
    }),
    collect: () => ({
      rows: rows.map((tr) => {
        const [feature, type] = tr.querySelectorAll('select');
        return {
          ehrSlotTypeId: tr.dataset.id,
          feature: feature.value,
          appointmentTypeId: type.value || null,
        };
      }),
    }),
    afterSave: async () => {
      const ids = rows
        .filter((tr) => tr.querySelector('input[type=checkbox]').checked)
        .map((tr) => tr.dataset.id);
      await api('PUT', `${base}/active-slot-types`, { body: { ehrSlotTypeIds: ids } });
    },
  });
}

/** Stage 4: the EHR slot type each appointment type of ours is booked as (blank: slot type unchanged). */
export async function bookingFeaturesTab(panel, ctx) {
  const base = `/v1/practices/${ctx.practice.id}`;
  const [mapping, slotTypes] = await Promise.all([
    api('GET', `${base}/mappings/appointment-types`),
    all(`${base}/ehr/slot-types`),
  ]);
  const options = ehrOptions(slotTypes, '— slot type unchanged —');
  const rows = mapping.rows.map((row) => {
    const select = dropdown(`EHR slot type for ${row.appointmentTypeName}`, options, row.ehrSlotTypeId);
    select.dataset.field = 'ehrSlotTypeId';
    return h(
      'tr',
      { 'data-id': row.appointmentTypeId },
      h('th', { scope: 'row' }, row.appointmentTypeName),
      h('td', null, select, ' ', goneMark(row.ehrSlotType)),
      problemCell(),
    );
  });
  stageFrame(panel, ctx, {
    heading: 'Stage 4: Booking features',
    intro: [
      'Left: the appointment types of the booking side. Right: the EHR slot type a booking of it is written as.',
      'Leave blank where the EHR has no matching slot type: the booking is still written, and the slot keeps its slot type.',
    ],
    path: 'appointment-types',
    rows,
    table: dataTable(['Appointment type (ours)', `${ctx.plugin.name} slot type`, ''], rows, {
      caption: 'Booking features',
      hideCaption: true,
      className: 'mapping',
      empty: 'There are no appointment types on the booking side yet: add them below.',
    }),
    collect: () => ({
      rows: rows.map((tr) => ({
        appointmentTypeId: tr.dataset.id,
        ehrSlotTypeId: tr.querySelector('select').value || null,
      })),
    }),
    extra: addForm(
      'Add an appointment type',
      [
        { name: 'name', label: 'Name' },
        { name: 'durationMinutes', label: 'Minutes', type: 'number', value: '10', min: '1' },
      ],
      async (body) => {
        await api('POST', `${base}/appointment-types`, { body });
        await ctx.reload(`Added ${body.name}.`);
      },
    ),
  });
}
