/*
 * jvm-service - inventory micro-service
 * Copyright (C) 2024 Ilse Vermeulen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This program is free software: you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation, either version 3 of the License, or
 * (at your option) any later version.
 *
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 *
 * You should have received a copy of the GNU General Public License
 * along with this program.  If not, see <https://www.gnu.org/licenses/>.
 */
package org.example.model;

import java.util.Objects;

/** One stock-keeping unit held in a warehouse. */
public final class Item {
    private final String sku;
    private final String name;
    private int quantity;

    public Item(String sku, String name, int quantity) {
        if (quantity < 0) {
            throw new IllegalArgumentException("quantity must not be negative");
        }
        this.sku = Objects.requireNonNull(sku, "sku");
        this.name = Objects.requireNonNull(name, "name");
        this.quantity = quantity;
    }

    public String getSku() {
        return sku;
    }

    public String getName() {
        return name;
    }

    public int getQuantity() {
        return quantity;
    }

    void adjust(int delta) {
        if (quantity + delta < 0) {
            throw new IllegalStateException("not enough stock for " + sku);
        }
        quantity += delta;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Item && ((Item) other).sku.equals(sku);
    }

    @Override
    public int hashCode() {
        return sku.hashCode();
    }

    @Override
    public String toString() {
        return "Item{" + sku + ", " + name + ", qty=" + quantity + "}";
    }
}
