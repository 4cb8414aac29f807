namespace CouchReplication.Mango;

/// <summary>
/// CouchDB's normalisation of a selector (<c>mango_selector:normalize</c>), step by step as it
/// does it, because matching depends on its exact result: operators checked and implicit
/// <c>$eq</c>/<c>$and</c> made explicit (<see cref="Operators"/>), nested field names joined into
/// dotted paths (<see cref="Fields"/>), <c>$not</c> and <c>$nor</c> pushed into their conditions
/// (<see cref="Negations"/>; a missing field then fails <c>$ne</c>, where a <c>$not</c> left in
/// place would pass it). A selector CouchDB refuses is refused here with its reason.
/// </summary>
internal static class SelectorNormalization
{
    public static MangoObject Normalize(MangoObject selector)
    {
        if (selector.Members.Count == 0) return selector;
        var normal = Negations(Fields(Operators(selector), ""));
        if (normal.Members.Any(m => m.Key.Length == 0)) throw Invalid("one or more conditions is missing a field name");
        return normal;
    }

    private static readonly string[] Unsupported = ["$where", "$geoWithin", "$geoIntersects", "$near", "$nearSphere"];

    private static readonly string[] Comparisons = ["$lt", "$lte", "$eq", "$ne", "$gte", "$gt"];

    /// <summary>norm_ops.</summary>
    private static MangoObject Operators(object? value)
    {
        if (value is not MangoObject selector) return new MangoObject("$eq", value);
        if (selector.Members.Count > 1)
            return new MangoObject("$and", selector.Members.Select(m => (object?)Operators(new MangoObject(m.Key, m.Value))).ToArray());
        if (!selector.IsSingle(out var op, out var arg)) return new MangoObject("$eq", selector);
        switch (op)
        {
            case "$and" or "$or" or "$nor":
                return arg is object?[] args ? new MangoObject(op, args.Select(a => (object?)Operators(a)).ToArray()) : throw BadArg(op, arg);
            case "$not" or "$elemMatch" or "$allMatch" or "$keyMapMatch":
                return arg is MangoObject inner ? new MangoObject(op, Operators(inner)) : throw BadArg(op, arg);
            case "$in" or "$nin" or "$all":
                return arg is object?[] ? selector : throw BadArg(op, arg);
            case "$exists":
                return arg is bool ? selector : throw BadArg(op, arg);
            case "$type" or "$beginsWith":
                return arg is string ? selector : throw BadArg(op, arg);
            case "$mod":
                return arg is object?[] { Length: 2 } mod && mod[0] is MangoNumber { IsInteger: true } && mod[1] is MangoNumber { IsInteger: true }
                    ? selector
                    : throw BadArg(op, arg, "[divisor, remainder], two integers");
            case "$regex":
                // Whether PCRE compiles it is for the server to say; a file source checks what it can run (Selector.RefuseWhatAFileCannotRun).
                return arg is string ? selector : throw BadArg(op, arg);
            case "$size":
                return arg is MangoNumber { Integer: { Sign: >= 0 } } ? selector : throw BadArg(op, arg, "a non-negative integer");
            case "$text":
                return arg is string or MangoNumber or bool ? new MangoObject("$default", selector) : throw BadArg(op, arg);
            case "$default":
                return selector;
            case var _ when Comparisons.Contains(op):
                return selector;
            case var _ when Unsupported.Contains(op):
                throw Invalid($"unsupported operator: {op}");
            case var _ when op.StartsWith('$'):
                throw Invalid($"invalid operator: {op}");
            default:
                return new MangoObject(op, Operators(arg));
        }
    }

    /// <summary>norm_fields: every condition becomes {"dotted.path": {"$op": argument}} under $and, $or, $not, $nor.</summary>
    private static MangoObject Fields(MangoObject selector, string path)
    {
        if (!selector.IsSingle(out var key, out var arg)) throw BadField(selector);
        switch (key)
        {
            case "$and" or "$or" or "$nor":
                return new MangoObject(key, ((object?[])arg!).Select(a => (object?)Fields((MangoObject)a!, path)).ToArray());
            case "$not":
                return new MangoObject(key, Fields((MangoObject)arg!, path));
            case "$elemMatch" or "$allMatch" or "$keyMapMatch":
                return new MangoObject(path, new MangoObject(key, Fields((MangoObject)arg!, "")));
            case "$default" when path.Length == 0 && arg is MangoObject text && text.IsSingle(out var textOp, out _) && textOp == "$text":
                return selector;
            case "$default":
                throw BadField(selector);
            case var _ when key.StartsWith('$'):
                return new MangoObject(path, selector);
            default:
                return arg is MangoObject inner ? Fields(inner, path.Length == 0 ? key : $"{path}.{key}") : throw BadField(selector);
        }
    }

    /// <summary>norm_negations.</summary>
    private static MangoObject Negations(MangoObject selector)
    {
        if (!selector.IsSingle(out var key, out var arg)) return selector;
        return key switch
        {
            "$not" => Negate(arg),
            "$nor" => new MangoObject("$and", ((object?[])arg!).Select(a => (object?)Negate(a)).ToArray()),
            "$and" or "$or" => new MangoObject(key, ((object?[])arg!).Select(a => (object?)Negations((MangoObject)a!)).ToArray()),
            "$elemMatch" or "$allMatch" or "$keyMapMatch" => new MangoObject(key, Negations((MangoObject)arg!)),
            _ => selector,
        };
    }

    private static readonly Dictionary<string, string> Opposites = new(StringComparer.Ordinal)
    {
        ["$lt"] = "$gte", ["$lte"] = "$gt", ["$eq"] = "$ne", ["$ne"] = "$eq", ["$gte"] = "$lt", ["$gt"] = "$lte", ["$in"] = "$nin", ["$nin"] = "$in",
    };

    private static MangoObject Negate(object? selector)
    {
        // Erlang would fail with a function_clause error on any other shape; CouchDB answers 500.
        if (selector is not MangoObject o || !o.IsSingle(out var key, out var arg)) throw Invalid($"cannot negate {MangoValue.Text(selector)}");
        return key switch
        {
            "$not" => Negations((MangoObject)arg!),
            "$nor" => new MangoObject("$or", ((object?[])arg!).Select(a => (object?)Negations((MangoObject)a!)).ToArray()),
            "$and" => new MangoObject("$or", ((object?[])arg!).Select(a => (object?)Negate(a)).ToArray()),
            "$or" => new MangoObject("$and", ((object?[])arg!).Select(a => (object?)Negate(a)).ToArray()),
            "$default" => throw BadArg("$not", selector),
            "$exists" => new MangoObject(key, !(bool)arg!),
            _ when Opposites.TryGetValue(key, out var opposite) => new MangoObject(opposite, arg),
            _ when key.StartsWith('$') => new MangoObject("$not", selector),
            _ => new MangoObject(key, Negate(arg)),
        };
    }

    private static CouchReplicationException Invalid(string problem) => CouchReplicationException.InvalidArgument("selector", problem);

    /// <summary>CouchDB's bad_arg error, with what was expected where its message would leave one guessing.</summary>
    public static CouchReplicationException BadArg(string op, object? arg, string? expected = null) =>
        Invalid($"bad argument for operator {op}: {MangoValue.Text(arg)}" + (expected is null ? "" : $" (expected {expected})"));

    private static CouchReplicationException BadField(object? selector) => Invalid($"invalid field normalization on selector: {MangoValue.Text(selector)}");
}
