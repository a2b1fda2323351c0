/*
 * Copyright (C) 2024 Ilse Vermeulen
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
package org.example.util;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** String helpers shared by the service and its command-line tools. */
public final class TextUtils {

    private TextUtils() {
    }

    /** Returns true when the string is null, empty or only whitespace. */
    public static boolean isBlank(String value) {
        if (value == null) {
            return true;
        }
        for (int i = 0; i < value.length(); i++) {
            if (!Character.isWhitespace(value.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Lower-case ASCII slug: accents folded, other characters become dashes. */
    public static String slugify(String value) {
        String folded = Normalizer.normalize(value, Normalizer.Form.NFKD)
                .replaceAll("\\p{M}+", "");
        String slug = folded.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        return slug.replaceAll("^-+|-+$", "");
    }

    /** Splits on a separator, trimming parts and dropping empty ones. */
    public static List<String> splitTrimmed(String value, char separator) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= value.length(); i++) {
            if (i == value.length() || value.charAt(i) == separator) {
                String part = value.substring(start, i).trim();
                if (!part.isEmpty()) {
                    parts.add(part);
                }
                start = i + 1;
            }
        }
        return parts;
    }

    /** Shortens text to at most maxLength characters, ending in an ellipsis. */
    public static String abbreviate(String value, int maxLength) {
        if (maxLength < 4) {
            throw new IllegalArgumentException("maxLength must be at least 4");
        }
        if (value.length() <= maxLength) {
            return value;
        }
        return value.substring(0, maxLength - 3) + "...";
    }

    /** Pads on the left with the given character up to the given width. */
    public static String padLeft(String value, int width, char pad) {
        StringBuilder builder = new StringBuilder(width);
        for (int i = value.length(); i < width; i++) {
            builder.append(pad);
        }
        return builder.append(value).toString();
    }
}
