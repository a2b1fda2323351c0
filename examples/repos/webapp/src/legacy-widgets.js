/* Small DOM helpers kept in plain JavaScript for the old admin pages. */
(function (global) {
  'use strict';

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      var ctx = this;
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () {
        fn.apply(ctx, args);
      }, wait);
    };
  }

  function toggleRows(table, predicate) {
    var rows = table.querySelectorAll('tbody tr');
    for (var i = 0; i < rows.length; i++) {
      rows[i].style.display = predicate(rows[i]) ? '' : 'none';
    }
  }

  function attachFilter(input, table) {
    input.addEventListener('input', debounce(function () {
      var needle = input.value.trim().toLowerCase();
      toggleRows(table, function (row) {
        return row.textContent.toLowerCase().indexOf(needle) !== -1;
      });
    }, 150));
  }

  global.NorthwindWidgets = { debounce: debounce, toggleRows: toggleRows, attachFilter: attachFilter };
})(window);
