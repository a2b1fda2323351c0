function y = smooth_signal(x, window)
%SMOOTH_SIGNAL Moving-average filter with edge handling.
%   Y = SMOOTH_SIGNAL(X, WINDOW) returns X smoothed by a centred moving
%   average of odd length WINDOW. Edges use a shrinking window.
    if nargin < 2
        window = 5;
    end
    if mod(window, 2) == 0
        error('smooth_signal:window', 'window must be odd');
    end
    half = (window - 1) / 2;
    n = numel(x);
    y = zeros(size(x));
    for k = 1:n
        lo = max(1, k - half);
        hi = min(n, k + half);
        y(k) = mean(x(lo:hi));
    end
end
