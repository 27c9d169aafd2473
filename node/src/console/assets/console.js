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
