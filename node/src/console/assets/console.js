// Progressive enhancement only: every page works without this file.
// A print button (the registration receipt) where the page offers one.
(function () {
  var buttons = document.querySelectorAll('[data-print]');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener('click', function () { window.print(); });
  }
})();
// The registration form's subcategory list shows the chosen category's items.
(function () {
  var cat = document.getElementById('category');
  var sub = document.getElementById('subcategory');
  if (!cat || !sub) return;
  function sync() {
    var groups = sub.querySelectorAll('optgroup');
    for (var i = 0; i < groups.length; i++) {
      var show = groups[i].dataset.category === cat.value;
      groups[i].hidden = !show;
      groups[i].disabled = !show;
    }
    var picked = sub.options[sub.selectedIndex];
    if (picked && picked.parentNode.tagName === 'OPTGROUP' && picked.parentNode.disabled) sub.value = '';
  }
  cat.addEventListener('change', sync);
  sync();
})();
// The identity number, checked by the node as it is typed (the same rule the
// registration applies): the answer shown beside the field.
(function () {
  var out = document.querySelector('[data-check-id]');
  var input = document.getElementById('id_number');
  if (!out || !input) return;
  var asked = 0;
  function check(force) {
    var v = input.value.trim();
    if (v === '' || (!force && v.length < 18)) { out.textContent = ''; return; }
    var mine = ++asked;
    fetch(out.dataset.checkId + '?value=' + encodeURIComponent(v), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (t) {
        if (mine !== asked) return;
        out.textContent = t;
        out.dataset.checked = v;
        if (t) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
      })
      .catch(function () {});
  }
  input.addEventListener('input', function () { check(false); });
  input.addEventListener('change', function () { check(true); });
})();
// The schedule grid: as it is typed, the table (not saved) goes to the node,
// whose schedule service answers with the rules it breaks; the answer replaces
// the #checked section. No rule is written here. Without this script the 检查
// button asks the same.
(function () {
  var grid = document.getElementById('grid');
  var shown = document.getElementById('checked');
  if (!grid || !shown || !window.fetch) return;
  var timer = null;
  var asked = 0;
  function check() {
    var n = ++asked;
    var body = new URLSearchParams(new FormData(grid));
    body.set('intent', 'check');
    fetch(grid.action, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { 'x-console-fragment': '1' }
    }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      // Only the answer to the latest question is shown.
      if (html !== null && n === asked) shown.innerHTML = html;
    }).catch(function () {});
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }
  grid.addEventListener('change', soon);
  grid.addEventListener('input', soon);
})();
