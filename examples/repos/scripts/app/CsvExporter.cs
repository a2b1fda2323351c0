using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Ops.Export
{
    /// <summary>Writes rows as RFC 4180 CSV.</summary>
    public static class CsvExporter
    {
        public static string Escape(string field)
        {
            if (field.IndexOfAny(new[] { ',', '"', '\n', '\r' }) < 0)
            {
                return field;
            }
            return "\"" + field.Replace("\"", "\"\"") + "\"";
        }

        public static void Write(TextWriter writer, IEnumerable<IReadOnlyList<string>> rows)
        {
            foreach (var row in rows)
            {
                writer.Write(string.Join(",", row.Select(Escape)));
                writer.Write("\r\n");
            }
        }

        public static void Main(string[] args)
        {
            var rows = new List<IReadOnlyList<string>>
            {
                new[] { "sku", "name" },
                new[] { "A-1", "Widget, large" },
            };
            Write(Console.Out, rows);
        }
    }
}
