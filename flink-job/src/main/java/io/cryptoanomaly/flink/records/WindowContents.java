package io.cryptoanomaly.flink.records;

/**
 * What the window aggregate hands to the window function when a window fires: the trades as
 * sorted columns and a copy of the quote aggregates (finished with the window bounds there).
 */
public record WindowContents(TradeColumns trades, QuoteStats quotes) {}
