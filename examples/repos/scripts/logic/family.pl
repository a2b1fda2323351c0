% family.pl - a small family tree in Prolog.
:- module(family, [grandparent/2, ancestor/2, sibling/2]).

parent(tom, bob).
parent(tom, liz).
parent(bob, ann).
parent(bob, pat).
parent(pat, jim).

grandparent(X, Z) :-
    parent(X, Y),
    parent(Y, Z).

ancestor(X, Y) :- parent(X, Y).
ancestor(X, Y) :-
    parent(X, Z),
    ancestor(Z, Y).

sibling(X, Y) :-
    parent(P, X),
    parent(P, Y),
    X \= Y.

% ?- findall(A, ancestor(A, jim), As).
% As = [pat, tom, bob].
