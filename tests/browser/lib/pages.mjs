// The one table of pages that every browser test walks: each page kind the site has, where it
// is, and for forms the steps that reach the state under test.
//
// Fields of an entry:
//   name    unique; names the screenshots (target/screenshots/<name>-320.png)
//   kind    the page kind, as issue 9 lists them
//   path    where the browser starts
//   steps   for forms: [{ fill, value } | { choose } | { submit, button?, status?, expect? }],
//           walked in order; `fill`/`choose`/`submit` take a CSS selector or { label: /text/ };
//           `button` is the submit button to press when a form has several
//   status  the HTTP status of the page once the steps are done (default 200); a list accepts
//           any of its statuses (a form with errors may answer 400 or 422)
//   expect  what the page must then show: { path, visible, onFirstScreen, text, errorSummary }
//   print   true: the print test checks this page as a printed leaflet
//   noJs    true: the no-JavaScript test walks this flow with JavaScript off
//   queues  true: the flow ends with one more message in the contact form's mail queue

// Searches that must find something, and must not. The header search box is on every page.
const searchFor = (words) => [
  { fill: '#header-search-q', value: words },
  { submit: 'form[role=search]' },
];

// The finder's place box, found by its label as a reader finds it.
const FINDER_BOX = { label: /^postcode or town$/i };

// The contact form's own form (the header search is a form too).
const CONTACT_FORM = 'main form';

// "Was this page helpful?" at the foot of a content page, and the comment step's form.
const FEEDBACK_FORM = 'form.feedback-form';
const COMMENT_FORM = 'main form.contact-form';

// The "print for your hospital" form on a procedure sheet's leaflet page.
const HOSPITAL_FORM = 'main form.hospital-form';

export const PAGES = [
  // The ways in (procedures, conditions, finder...) show on a phone's first screen, not after
  // the prose: a worried reader should not have to scroll to find them.
  { name: 'home', kind: 'home', path: '/', expect: { visible: 'main .cards', onFirstScreen: 'main .cards' } },

  // Each list page.
  { name: 'procedure-list', kind: 'list', path: '/procedures', expect: { visible: 'a[href="/procedures/angioplasty"]' } },
  { name: 'condition-list', kind: 'list', path: '/conditions', expect: { visible: 'a[href="/conditions/uterine-fibroids"]' } },
  { name: 'story-list', kind: 'list', path: '/stories', expect: { visible: 'main .link-list' } },
  { name: 'statement-list', kind: 'list', path: '/statements', expect: { visible: 'main .link-list' } },
  { name: 'radiation-list', kind: 'list', path: '/radiation', expect: { visible: 'main .link-list' } },
  { name: 'about-list', kind: 'list', path: '/about', expect: { visible: 'main a[href="/about/accessibility"]' } },
  { name: 'a-z', kind: 'list', path: '/a-z', expect: { visible: 'main a[href="/procedures/angioplasty"]' } },

  // Content pages: one of each kind.
  {
    name: 'procedure', kind: 'procedure', path: '/procedures/angioplasty', print: true,
    expect: { visible: '.review-dates', text: /Radiation at a glance/ },
  },
  { name: 'condition', kind: 'condition', path: '/conditions/peripheral-arterial-disease', expect: { visible: 'main h1' } },
  {
    name: 'story', kind: 'story', path: '/stories/getting-back-to-my-allotment-after-angioplasty',
    expect: { visible: '.banner-sample' },
  },
  {
    name: 'statement', kind: 'statement', path: '/statements/prostate-artery-embolisation-2019',
    expect: { visible: '.banner-warning', text: /has been replaced/ },
  },
  { name: 'radiation-guide', kind: 'radiation', path: '/radiation/what-is-a-radiation-dose', expect: { visible: '.page-history' } },
  {
    name: 'radiation-doses', kind: 'radiation chart', path: '/radiation/doses',
    expect: { visible: 'main svg, main figure', text: /mSv/ },
  },
  {
    name: 'radiation-compare', kind: 'radiation compare', path: '/radiation/compare',
    expect: { visible: 'main form', errorSummary: false },
  },
  {
    name: 'radiation-compare-chart', kind: 'radiation compare', path: '/radiation/compare', noJs: true,
    steps: [{ choose: '#item-chest-x-ray' }, { choose: '#item-ct-abdomen-pelvis' }, { submit: 'main form' }],
    expect: { path: '/radiation/compare', errorSummary: false, visible: 'main figure svg', text: /mSv/ },
  },
  {
    name: 'radiation-compare-error', kind: 'radiation compare', path: '/radiation/compare', noJs: true,
    status: 400, steps: [{ submit: 'main form' }],
    expect: { path: '/radiation/compare', errorSummary: true },
  },
  { name: 'about-page', kind: 'article', path: '/about/accessibility', expect: { visible: 'main h1' } },
  { name: 'open-data', kind: 'article', path: '/open-data', expect: { visible: 'main table' } },

  // The finder: empty, with results, with an error.
  { name: 'finder-empty', kind: 'finder', path: '/find', expect: { visible: 'main form', errorSummary: false } },
  {
    name: 'finder-results', kind: 'finder', path: '/find', noJs: true,
    steps: [{ fill: FINDER_BOX, value: 'Leeds' }, { submit: 'main form' }],
    expect: { path: '/find', errorSummary: false, visible: 'main ol.entry-list .entry-card' },
  },
  {
    // A search with nothing typed is the reader's slip, not a bad request: the finder answers 200.
    name: 'finder-error', kind: 'finder', path: '/find', noJs: true,
    steps: [{ fill: FINDER_BOX, value: '' }, { submit: 'main form' }],
    expect: { path: '/find', errorSummary: true },
  },

  // Search: with results and with none, from the header search box of the home page.
  {
    name: 'search-results', kind: 'search', path: '/', noJs: true,
    steps: searchFor('angioplasty'),
    expect: { path: '/search', visible: 'main a[href="/procedures/angioplasty"]' },
  },
  {
    name: 'search-none', kind: 'search', path: '/', noJs: true,
    steps: searchFor('zzqxv'),
    expect: { path: '/search', text: /no results for zzqxv/i },
  },

  // The contact form: empty, with validation errors, and sent after the errors are put right.
  { name: 'contact-empty', kind: 'contact', path: '/contact', expect: { visible: CONTACT_FORM, errorSummary: false } },
  {
    name: 'contact-errors', kind: 'contact', path: '/contact', noJs: true, status: 422,
    steps: [{ fill: '[name=email]', value: 'not an email address' }, { submit: CONTACT_FORM }],
    expect: { path: '/contact', errorSummary: true },
  },
  {
    name: 'contact-sent', kind: 'contact', path: '/contact', noJs: true, queues: true,
    steps: [
      { submit: CONTACT_FORM, status: 422, expect: { errorSummary: true } },
      { fill: '[name=name]', value: 'Pat Example' },
      { fill: '[name=email]', value: 'pat@example.org' },
      { choose: '[name=topic]' },
      { fill: '[name=message]', value: 'Is there a leaflet about angioplasty in large print?' },
      { submit: CONTACT_FORM },
    ],
    expect: { path: '/contact/thank-you', errorSummary: false, text: /thank you for your message/i },
  },

  // "Print for your hospital": the form, its errors, and the details checked (issue 16).
  {
    name: 'hospital-form', kind: 'leaflet form', path: '/procedures/angioplasty/for-your-hospital',
    expect: { visible: HOSPITAL_FORM, errorSummary: false },
  },
  {
    name: 'hospital-form-error', kind: 'leaflet form', path: '/procedures/angioplasty/for-your-hospital',
    noJs: true, status: 400,
    steps: [{ fill: '#phone_in_hours', value: '999' }, { submit: HOSPITAL_FORM }],
    expect: { path: '/procedures/angioplasty/for-your-hospital', errorSummary: true },
  },
  {
    name: 'hospital-form-checked', kind: 'leaflet form', path: '/procedures/angioplasty/for-your-hospital',
    noJs: true,
    steps: [
      { fill: { label: /^hospital$/i }, value: 'St Elsewhere Hospital' },
      { fill: { label: /^phone number in working hours$/i }, value: '020 7946 0000' },
      { submit: HOSPITAL_FORM },
    ],
    expect: {
      path: '/procedures/angioplasty/for-your-hospital', errorSummary: false,
      visible: 'main .your-hospital', text: /download the leaflet with these details/i,
    },
  },

  // "Was this page helpful?": Yes, No with the comment step, and a comment that is too long.
  {
    name: 'feedback-yes', kind: 'feedback', path: '/conditions/peripheral-arterial-disease', noJs: true,
    steps: [{ submit: FEEDBACK_FORM, button: 'button[value=yes]' }],
    expect: { path: '/feedback/thank-you', errorSummary: false, text: /thank you for your feedback/i },
  },
  {
    name: 'feedback-comment', kind: 'feedback', path: '/procedures/angioplasty', noJs: true,
    steps: [{ submit: FEEDBACK_FORM, button: 'button[value=no]' }],
    expect: { path: '/feedback/comment', errorSummary: false, visible: '#comment', text: /what was missing or wrong/i },
  },
  {
    name: 'feedback-comment-sent', kind: 'feedback', path: '/procedures/angioplasty', noJs: true,
    steps: [
      { submit: FEEDBACK_FORM, button: 'button[value=no]' },
      { fill: '#comment', value: 'I wanted to know how long the bruise lasts.' },
      { submit: COMMENT_FORM },
    ],
    expect: { path: '/feedback/thank-you', errorSummary: false, text: /go back to angioplasty/i },
  },
  {
    name: 'feedback-comment-error', kind: 'feedback', path: '/procedures/angioplasty', noJs: true, status: 422,
    steps: [
      { submit: FEEDBACK_FORM, button: 'button[value=no]' },
      { fill: '#comment', value: 'Too long. '.repeat(101) },
      { submit: COMMENT_FORM },
    ],
    expect: { path: '/feedback/comment', errorSummary: true },
  },

  // The 404 page.
  { name: 'not-found', kind: '404', path: '/no-such-page-here', status: 404, expect: { visible: 'main h1' } },
];

/** The entries whose flow ends on a form with errors: the keyboard test checks their focus. */
export const FAILED_FORMS = PAGES.filter((entry) => entry.expect?.errorSummary === true);
