namespace ShardedKvs.Linearizability;

/// <summary>
/// An operation compiled for the search: values are interned to ids (state -1 = absent), the
/// output becomes a precondition on the state and the input an effect. See <see cref="RegisterModel"/>.
/// </summary>
/// <param name="Expect">Required state: a value id, <see cref="RegisterModel.Absent"/>, <see cref="RegisterModel.AnyValue"/> or <see cref="RegisterModel.NoCheck"/>.</param>
/// <param name="Write">New state: a value id, <see cref="RegisterModel.Absent"/>, or <see cref="RegisterModel.Keep"/>.</param>
/// <param name="IsUnknown">Outcome unknown: may be linearized after its call, or never.</param>
internal readonly record struct RegisterOp(int Expect, int Write, bool IsUnknown)
{
    /// <summary>
    /// Leaves the state unchanged in every state it accepts (get; delete that saw not-existed). Such
    /// an op, once callable and accepted, can be linearized at once without losing any solution.
    /// </summary>
    public bool IsReadOnly => Write == RegisterModel.Keep || (Write == RegisterModel.Absent && Expect == RegisterModel.Absent);
}
