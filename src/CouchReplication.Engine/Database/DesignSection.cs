namespace CouchReplication.Database;

/// <summary>Where in a design document a function is: a filter function, or a view (whose map function is meant).</summary>
internal enum DesignSection
{
    Filters,
    Views,
}
