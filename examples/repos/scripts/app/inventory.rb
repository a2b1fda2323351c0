# frozen_string_literal: true

# Keeps stock levels per SKU and reports items that need reordering.
class Inventory
  Item = Struct.new(:sku, :name, :quantity, :reorder_level)

  def initialize
    @items = {}
  end

  def add(sku, name, quantity, reorder_level: 5)
    raise ArgumentError, "duplicate sku #{sku}" if @items.key?(sku)

    @items[sku] = Item.new(sku, name, quantity, reorder_level)
  end

  def take(sku, amount)
    item = @items.fetch(sku) { raise KeyError, "unknown sku #{sku}" }
    raise ArgumentError, 'not enough stock' if item.quantity < amount

    item.quantity -= amount
  end

  def to_reorder
    @items.values.select { |i| i.quantity <= i.reorder_level }.map(&:sku).sort
  end
end
