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
