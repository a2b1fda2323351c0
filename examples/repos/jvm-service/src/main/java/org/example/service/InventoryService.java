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
package org.example.service;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.example.model.Item;
import org.example.util.TextUtils;

/** Thread-safe in-memory inventory keyed by SKU. */
public class InventoryService {
    private final Map<String, Item> items = new ConcurrentHashMap<>();

    public Item register(String sku, String name, int quantity) {
        if (TextUtils.isBlank(sku)) {
            throw new IllegalArgumentException("sku must not be blank");
        }
        Item item = new Item(sku.trim(), name, quantity);
        Item previous = items.putIfAbsent(item.getSku(), item);
        if (previous != null) {
            throw new IllegalStateException("duplicate sku " + sku);
        }
        return item;
    }

    public Optional<Item> find(String sku) {
        return Optional.ofNullable(items.get(sku));
    }

    public synchronized void move(String fromSku, String toSku, int amount) {
        Item from = find(fromSku).orElseThrow(() -> new IllegalArgumentException(fromSku));
        Item to = find(toSku).orElseThrow(() -> new IllegalArgumentException(toSku));
        from.adjust(-amount);
        to.adjust(amount);
    }

    public int totalQuantity() {
        return items.values().stream().mapToInt(Item::getQuantity).sum();
    }

    public Collection<Item> all() {
        return Collections.unmodifiableCollection(items.values());
    }
}
