// Search suggestions as you type: progressive enhancement of a search box that has a
// `data-suggest` address (the search page's box). It follows the WAI-ARIA combobox pattern
// ("list autocomplete with manual selection"): the box gets role="combobox", a listbox of pages
// opens below it, Down and Up move through the pages (aria-activedescendant), Enter opens the
// chosen page, Escape closes the list (and a second Escape clears the box), and a polite status
// says how many pages are offered. Without this script the box is an ordinary search form.
(function () {
  'use strict';
  var input = document.querySelector('input[data-suggest]');
  if (!input || !window.fetch || !window.JSON) return;
  var endpoint = input.getAttribute('data-suggest');
  var listId = input.id + '-suggestions';
  var row = input.parentNode;

  var list = document.createElement('ul');
  list.id = listId;
  list.className = 'suggest-list';
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-label', 'Suggested pages');
  list.hidden = true;
  row.appendChild(list);

  var status = document.createElement('div');
  status.className = 'visually-hidden';
  status.setAttribute('role', 'status');
  row.appendChild(status);

  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', listId);

  var options = [];
  var active = -1;
  var timer = null;
  var asked = 0;

  function close() {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }

  function highlight(index) {
    active = index;
    options.forEach(function (option, i) {
      option.element.setAttribute('aria-selected', i === index ? 'true' : 'false');
    });
    if (index < 0) {
      input.removeAttribute('aria-activedescendant');
    } else {
      input.setAttribute('aria-activedescendant', options[index].element.id);
      options[index].element.scrollIntoView({ block: 'nearest' });
    }
  }

  function go(index) {
    if (options[index]) window.location.assign(options[index].path);
  }

  function show(suggestions) {
    list.textContent = '';
    options = suggestions.map(function (suggestion, i) {
      var element = document.createElement('li');
      element.id = listId + '-' + i;
      element.className = 'suggest-option';
      element.setAttribute('role', 'option');
      element.setAttribute('aria-selected', 'false');
      var title = document.createElement('span');
      title.className = 'suggest-title';
      title.textContent = suggestion.title;
      var kind = document.createElement('span');
      kind.className = 'suggest-kind';
      kind.textContent = suggestion.label;
      element.appendChild(title);
      element.appendChild(document.createTextNode(' '));
      element.appendChild(kind);
      element.addEventListener('click', function () { go(i); });
      list.appendChild(element);
      return { element: element, path: suggestion.path };
    });
    active = -1;
    input.removeAttribute('aria-activedescendant');
    if (options.length === 0) {
      close();
      status.textContent = '';
      return;
    }
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    status.textContent = options.length + (options.length === 1 ? ' page' : ' pages') +
      ' suggested. Use the up and down arrow keys to choose one, then press Enter.';
  }

  function ask() {
    var typed = input.value.trim();
    if (typed.length < 3) {
      show([]);
      return;
    }
    var ticket = ++asked;
    fetch(endpoint + '?q=' + encodeURIComponent(typed), { headers: { Accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (answer) {
        // Only the answer to the newest question counts; older ones may arrive late.
        if (ticket === asked && document.activeElement === input) show(answer.suggestions || []);
      })
      .catch(function () { /* Suggestions are a help: the form still works without them. */ });
  }

  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });

  input.addEventListener('keydown', function (event) {
    var open = !list.hidden;
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      if (!open) {
        if (options.length > 0) {
          list.hidden = false;
          input.setAttribute('aria-expanded', 'true');
          highlight(event.altKey ? -1 : 0);
        } else {
          ask();
        }
      } else {
        highlight(active + 1 >= options.length ? 0 : active + 1);
      }
    } else if (event.key === 'ArrowUp') {
      if (!open) return;
      event.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === 'Enter') {
      if (open && active >= 0) {
        event.preventDefault();
        go(active);
      }
    } else if (event.key === 'Escape') {
      if (open) {
        event.preventDefault();
        close();
      } else if (input.value !== '') {
        event.preventDefault();
        input.value = '';
      }
    } else if (event.key === 'Tab') {
      close();
    }
  });

  // A press on the list keeps focus in the box, so the click that follows still finds the list.
  list.addEventListener('mousedown', function (event) { event.preventDefault(); });
  input.addEventListener('blur', close);
}());
